// Generates src/federation/testdata/override-vectors.json: what upstream KubeFed v0.10's override
// code (util.ApplyJsonPatch over evanphx/json-patch v4.12.0) does with each case of
// src/federation/testdata/override-cases.json. Only for regenerating that fixture; never built by
// the tests or CI.
module kubefed-ts/hack/override-vectors

go 1.24

require github.com/evanphx/json-patch v4.12.0+incompatible

require github.com/pkg/errors v0.9.1 // indirect
