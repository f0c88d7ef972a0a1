"""Pure, batch-first mechanism functions of the four technical reports.

Every function takes arrays with any number of leading batch axes and the
agent axis last (``(..., n)`` vectors, ``(..., n, n)`` matrices) and returns
new arrays; nothing here holds state.
"""
