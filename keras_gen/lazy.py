"""Lazy attributes for packages whose modules need Keras."""

import importlib
import sys


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


class _KerasHook:
    """A `sys.meta_path` finder that runs `action` once Keras is importable.

    Python has no public "after this module is imported" hook, so this finder
    wraps the loaders of `keras` and of `package`'s own submodules. `action`
    runs when the outermost of those imports has finished and `keras` is in
    `sys.modules`: not in the middle of a `package` module that imported
    Keras on its first lines (its names are not defined yet, so an action
    that imports the package's other modules would find it half-made).
    """

    def __init__(self, package, action):
        self._prefix = package + "."
        self._action = action
        self._depth = 0
        self._done = False

    def find_spec(self, fullname, path=None, target=None):
        if self._done or not (fullname == "keras" or fullname.startswith(self._prefix)):
            return None
        spec = _find_spec_without(self, fullname, path, target)
        if spec is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _CountingLoader(spec.loader, self)
        return spec

    def enter(self):
        self._depth += 1

    def leave(self):
        self._depth -= 1
        if self._depth == 0:
            self.run_if_ready()

    def run_if_ready(self):
        if self._done or self._depth or "keras" not in sys.modules:
            return
        self._done = True
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        self._action()


class _CountingLoader:
    """A module's own loader, with `_KerasHook` told around `exec_module`."""

    def __init__(self, loader, hook):
        self._loader = loader
        self._hook = hook

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._hook.enter()
        try:
            self._loader.exec_module(module)
        finally:
            self._hook.leave()

    def __getattr__(self, name):
        # `get_resource_reader`, `get_data`, `is_package`, ...: the original's.
        return getattr(self._loader, name)


def _find_spec_without(finder, fullname, path, target):
    for other in sys.meta_path:
        if other is finder or not hasattr(other, "find_spec"):
            continue
        spec = other.find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None


def when_keras_is_imported(package, action):
    """Runs `action()` as soon as Keras is imported, or now if it already is.

    `package`'s own `__init__` calls this so that importing the package
    stays instant (no backend loads) while anything that needs Keras' global
    registry (`keras.saving.load_model` of a keras-gen model) finds it filled
    the moment Keras exists in the process.

    Args:
        package: The calling package's `__name__`; imports of its submodules
            are waited out before `action` runs.
        action: A function of no arguments, run once.
    """
    hook = _KerasHook(package, action)
    if "keras" in sys.modules:
        hook.run_if_ready()
    else:
        sys.meta_path.insert(0, hook)
