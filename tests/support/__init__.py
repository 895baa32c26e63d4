"""What the tests share and are not tests themselves: clients, running servers, the settings and
data they start from, corpora and generated operations. Test modules import from here (and take
fixtures from tests/conftest.py), never from one another; tests/test_layout_of_tests.py checks it."""
