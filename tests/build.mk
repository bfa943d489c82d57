# sources of tests
