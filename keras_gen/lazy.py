"""Lazy attributes for packages whose modules need Keras."""

import importlib


def attach(package, exports, submodules=()):
    """Module-level `__getattr__` and `__dir__` importing names on first use.

    Args:
        package: The package's `__name__`.
        exports: Dict of public name -> the module that defines it.
        submodules: Names of the package's submodules to import on access.

    Returns:
        `(__getattr__, __dir__, __all__)` for the package to assign.
    """
    public = sorted({*exports, *submodules})

    def __getattr__(name):
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
        elif name in submodules:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        vars(importlib.import_module(package))[name] = value  # Found directly next time.
        return value

    def __dir__():
        return sorted({*vars(importlib.import_module(package)), *public})

    return __getattr__, __dir__, public
