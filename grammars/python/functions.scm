; Function definitions, found even in code that does not parse as a whole
; (coderemask.signals.units.function_nodes reads the captures by name):
;   @definition with @name, @parameters, @body   a function;
;   @decorated around @decorated.definition      widens that function's span to its decorators;
;   @class with @class.name                      a scope, for qualified names like Class.method.

(function_definition
  name: (identifier) @name
  parameters: (parameters) @parameters
  body: (block) @body) @definition

(decorated_definition
  definition: (function_definition) @decorated.definition) @decorated

(class_definition
  name: (identifier) @class.name) @class
