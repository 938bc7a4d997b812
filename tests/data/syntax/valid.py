class C:
    def m(self, x):
        if x > 0:
            return x
        else:
            return -x
