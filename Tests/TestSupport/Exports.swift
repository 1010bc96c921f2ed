// The process harness the benchmark uses too (a real sync-server, the process runner, peak
// memory, a seeded generator, a pull flood): every test that imports TestSupport has it.
@_exported import ProcessHarness
