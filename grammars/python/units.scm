; Remaskable units of Python code: the spans a remask policy may snap evidence to.
; Each capture name is a unit kind (coderemask.signals.units.UNIT_KINDS lists them).
; A node may match several patterns; zero-width nodes (MISSING, empty blocks) are dropped in code.

; Expressions: tree-sitter-python splits them into two supertypes.
[
  (expression)
  (primary_expression)
] @expression

; Simple statements (one logical line).
[
  (expression_statement)
  (return_statement)
  (pass_statement)
  (break_statement)
  (continue_statement)
  (raise_statement)
  (assert_statement)
  (delete_statement)
  (global_statement)
  (nonlocal_statement)
  (import_statement)
  (import_from_statement)
  (future_import_statement)
  (print_statement)
  (exec_statement)
  (type_alias_statement)
] @statement

; Compound statements other than functions (those are @function below).
[
  (if_statement)
  (for_statement)
  (while_statement)
  (try_statement)
  (with_statement)
  (match_statement)
  (class_definition)
] @compound_statement
(decorated_definition
  definition: (class_definition)) @compound_statement

; The branches of a compound statement.
[
  (elif_clause)
  (else_clause)
  (except_clause)
  (finally_clause)
  (case_clause)
] @clause

(block) @block

[
  (parameters)
  (lambda_parameters)
] @parameters

; A function, with its decorators when it has any.
(function_definition) @function
(decorated_definition
  definition: (function_definition)) @function
