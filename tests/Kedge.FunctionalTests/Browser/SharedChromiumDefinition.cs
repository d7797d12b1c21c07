using Kedge.Testing.Browser;

namespace Kedge.FunctionalTests.Browser;

/// <summary>The collection of this assembly's browser tests: one shared Chromium, one test at a time.</summary>
[CollectionDefinition(SharedChromium.Collection, DisableParallelization = true)]
public sealed class SharedChromiumDefinition : ICollectionFixture<SharedChromium>;
