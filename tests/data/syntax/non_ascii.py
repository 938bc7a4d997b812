def grüße(name):
    return "héllo " + name +
