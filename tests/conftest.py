# Shared test setup: our suite runs under gonet's own pytest plugin (gonet.testing).
#
# The plugin runs each test body as a goroutine, turns a panic in any goroutine into a test
# failure, offers the `virtual_clock` fixture, and fails every test that leaves a goroutine, fd
# or thread behind (naming them, with a dump of the leaked goroutines). Mark a test
# `allow_leaks` to skip that check, `main_goroutine` to run its body in the main goroutine.
# pytester runs the plugin's own tests in a child pytest.
pytest_plugins = ["gonet.testing", "pytester"]
