# sources of tests/ktest
