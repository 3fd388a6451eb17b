package views

// withClientKeysCSRF returns vm with its CSRF token defaulting to token.
func withClientKeysCSRF(vm ClientKeysVM, token string) ClientKeysVM {
	if vm.CSRF == "" {
		vm.CSRF = token
	}
	return vm
}

// clientKeyRemoveConfirm is the question asked before removing a client key.
func clientKeyRemoveConfirm(name string) string {
	return "Remove key " + name + "? Assertions signed with it stop working at once."
}

// clientKeysEmptyText is the empty state's hint, depending on who is looking.
func clientKeysEmptyText(canManage bool) string {
	if canManage {
		return "Register a public key below (or the URL of a JWKS) for each service that signs its own assertions."
	}
	return "Project admins and owners can register the public keys of services that sign their own assertions."
}

// authMethodID is the id of the i-th "auth_methods" checkbox of the settings form.
func authMethodID(i int) string {
	return indexedID("settings-auth", i)
}

// acceptedAuthMethods lists the checked client authentication methods, or "none".
func acceptedAuthMethods(boxes []Checkbox) string {
	return checkedGrantTypes(boxes)
}
