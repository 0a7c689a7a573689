"""Text cells that cannot run as formulas when a spreadsheet opens them (CSV/XLSX injection).

Commentary, action titles and participant names are free text typed by people; a cell that
begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel, LibreOffice
and Google Sheets as a formula (``=HYPERLINK(...)``, ``@SUM(...)``, DDE). OWASP's advice:
prefix such a cell with a single quote, which the spreadsheet shows as text. Numbers are
written as typed numbers, never through this function, so ``-2.5`` stays a number.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``text`` with a leading ``'`` when it begins like a formula, else unchanged.

    ``neutralise("=HYPERLINK(\\"http://x\\")")`` → ``'=HYPERLINK("http://x")``;
    ``neutralise("Plan B")`` → ``Plan B``; the empty string stays empty.
    """
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text
