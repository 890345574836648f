# gonet.patch: explicit, opt-in patches that make blocking stdlib calls cooperative in goroutines.
