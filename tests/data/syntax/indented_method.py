    def m(self):
        return self.x +
