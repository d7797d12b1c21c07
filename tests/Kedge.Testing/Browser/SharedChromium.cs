namespace Kedge.Testing.Browser;

/// <summary>
/// One headless Chromium for a whole test collection (an xunit collection fixture): starting one costs 3-4 s. Each
/// test takes it through <see cref="Fresh"/>, which resets it to a blank page with an empty console; the test then
/// navigates where it needs. Put every browser test class in <see cref="Collection"/>, defined in each test assembly
/// with <c>DisableParallelization = true</c>, so no two tests drive the browser at once.
/// </summary>
public sealed class SharedChromium : IDisposable
{
    /// <summary>The name of the browser collection in every test assembly that has browser tests.</summary>
    public const string Collection = "headless chromium";

    private readonly Lazy<HeadlessChromium> _browser = new(HeadlessChromium.Start);

    /// <summary>The collection's browser, started on first use, on a blank page with an empty console.</summary>
    public HeadlessChromium Fresh()
    {
        var browser = _browser.Value;
        browser.Reset();
        return browser;
    }

    public void Dispose()
    {
        if (_browser.IsValueCreated)
        {
            _browser.Value.Dispose();
        }
    }
}
