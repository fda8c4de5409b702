"""unit_lines.py - run a Python unittest module as the e2e scripts read it.

`python3 tests/unit/test_X.py --lines` prints one line per test, "ok<TAB>name",
"not ok<TAB>name<TAB>why" or "skip<TAB>name<TAB>reason" (the e2e script turns
them into TAP); without --lines, plain unittest.  A test module ends with
`sys.exit(unit_lines.main(__name__))`.
"""
import os
import sys
import unittest


class LineResult(unittest.TextTestResult):
    """Collects (status, name, why) per test, for --lines."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.lines = []

    @staticmethod
    def name(test):
        doc = test.shortDescription()
        name = "unit " + test.id().replace("__main__.", "")
        return "%s: %s" % (name, doc) if doc else name

    @staticmethod
    def one_line(s):
        return " | ".join(l for l in str(s).strip().splitlines()[-6:] if l.strip()).replace("\t", " ")

    def addSuccess(self, test):
        super().addSuccess(test)
        self.lines.append(("ok", self.name(test), ""))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.lines.append(("not ok", self.name(test), self.one_line(self._exc_info_to_string(err, test))))

    def addError(self, test, err):
        super().addError(test, err)
        self.lines.append(("not ok", self.name(test), self.one_line(self._exc_info_to_string(err, test))))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.lines.append(("skip", self.name(test), reason))


def main(module_name):
    if sys.argv[1:] == ["--lines"]:
        suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[module_name])
        with open(os.devnull, "w") as null:
            res = unittest.TextTestRunner(stream=null, resultclass=LineResult).run(suite)
        for st, name, why in res.lines:
            print("\t".join((st, name, why)) if why else "%s\t%s" % (st, name))
        return 0 if res.wasSuccessful() else 1
    unittest.main(module=module_name)
    return 0
