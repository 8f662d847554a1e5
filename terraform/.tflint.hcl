# tflint's core rules only: the bundled "terraform" ruleset needs no plugin
# download (none is possible here), so `tflint` runs offline. No provider
# ruleset (e.g. google) is enabled for that reason.
config {
  call_module_type = "none"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}
