"""The shipped embedded checkpoint (HF format) and its model card; loaded by `load_model("embedded")`."""
