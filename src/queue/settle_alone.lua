-- On a cluster: settle.lua alone (attempt_record.lua follows, in the registry's slot).
return settled
