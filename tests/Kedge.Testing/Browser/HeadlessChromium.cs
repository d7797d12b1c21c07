using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace Kedge.Testing.Browser;

/// <summary>
/// Debian's Chromium, headless, driven through Debian's chromedriver (packages <c>chromium</c> and <c>chromium-driver</c>,
/// installed by <c>.ci/run</c>). Never downloads a browser or a driver: both paths are fixed, so Selenium Manager is not
/// asked. The browser's console (errors, and Content-Security-Policy refusals, which Chromium reports there as errors)
/// is collected for <see cref="ConsoleErrors"/>.
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    public const string BrowserPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";

    /// <summary>
    /// The browser reaches loopback and nothing else. Every URL outside loopback goes to a "proxy" on the discard port
    /// of 127.0.0.1, where nothing listens, so it fails at once (ERR_PROXY_CONNECTION_FAILED) without a DNS query;
    /// Chromium's implicit proxy bypass keeps localhost, 127.0.0.1 and [::1] direct. Host names the browser would still
    /// resolve itself (its own services, prefetch) resolve to nothing, and the background services that phone home
    /// are off.
    /// </summary>
    private static readonly string[] LoopbackOnly =
    [
        "--proxy-server=http://127.0.0.1:9",
        "--host-resolver-rules=MAP localhost 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE [::1]",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--disable-breakpad",
        "--no-pings",
        "--dns-prefetch-disable",
        "--no-default-browser-check",
        "--metrics-recording-only",
        "--disable-features=OptimizationHints,MediaRouter,DialMediaRouteProvider,Translate,AutofillServerCommunication,CertificateTransparencyComponentUpdater,NetworkTimeServiceQuerying,AsyncDns,DnsOverHttps,InterestFeedContentSuggestions,SafeBrowsing",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--force-webrtc-ip-handling-policy",
    ];

    private readonly ChromeDriverService _service;
    private readonly List<OpenQA.Selenium.LogEntry> _console = [];

    private HeadlessChromium(ChromeDriverService service, ChromeDriver driver)
    {
        _service = service;
        Driver = driver;
    }

    /// <summary>The WebDriver, for what this class does not wrap.</summary>
    public ChromeDriver Driver { get; }

    /// <summary>Starts a headless browser; fails with the install command when Chromium or its driver is missing.</summary>
    public static HeadlessChromium Start()
    {
        if (!File.Exists(BrowserPath) || !File.Exists(DriverPath))
        {
            throw new InvalidOperationException(
                $"The browser tests need {BrowserPath} and {DriverPath} (Debian packages 'chromium' and 'chromium-driver'): sudo apt-get install -y chromium chromium-driver (.ci/run does this).");
        }

        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = BrowserPath };
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-extensions", "--disable-background-networking", "--window-size=1280,1024");
        options.AddArguments(LoopbackOnly);
        options.SetLoggingPreference(LogType.Browser, LogLevel.All);
        try
        {
            return new HeadlessChromium(service, new ChromeDriver(service, options, TimeSpan.FromSeconds(60)));
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    /// <summary>Opens <paramref name="url"/> and waits until the document has loaded.</summary>
    public void Open(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        Driver.Navigate().GoToUrl(url);
    }

    /// <summary>The element the CSS selector finds, or null. Prefer the readers below on a page that re-renders.</summary>
    public IWebElement? Find(string cssSelector)
    {
        var found = Driver.FindElements(By.CssSelector(cssSelector));
        return found.Count == 0 ? null : found[0];
    }

    /// <summary>Whether the CSS selector finds an element now (one script call).</summary>
    public bool Exists(string cssSelector)
        => (bool)Script("return document.querySelector(arguments[0]) !== null;", cssSelector)!;

    /// <summary>
    /// The text content of the element the CSS selector finds, or null when there is none. Found and read in one
    /// script call: a page that re-renders cannot swap the element between finding and reading it.
    /// </summary>
    public string? TextOf(string cssSelector)
        => (string?)Script("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", cssSelector);

    /// <summary>An attribute of the element the CSS selector finds, or null; found and read in one script call.</summary>
    public string? AttributeOf(string cssSelector, string attribute)
        => (string?)Script("const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;", cssSelector, attribute);

    /// <summary>The strings a script expression evaluates to (an array of strings), read in one call.</summary>
    public IReadOnlyList<string> Strings(string expression)
        => [.. ((IEnumerable<object>)Script("return " + expression)!).Select(o => (string)o)];

    /// <summary>Runs <paramref name="script"/> in the page and returns its result.</summary>
    public object? Script(string script, params object[] arguments)
        => ((IJavaScriptExecutor)Driver).ExecuteScript(script, arguments);

    /// <summary>
    /// Leaves the last test's page for <c>about:blank</c> and forgets its console, so a browser shared by a test
    /// collection starts each test clean.
    /// </summary>
    public void Reset()
    {
        Driver.Navigate().GoToUrl("about:blank");
        Driver.Manage().Logs.GetLog(LogType.Browser);
        _console.Clear();
    }

    /// <summary>
    /// Every console entry at level SEVERE so far: script errors, failed or refused loads, and Content-Security-Policy
    /// violations ("Refused to load …", "Refused to execute inline script …").
    /// </summary>
    public IReadOnlyList<string> ConsoleErrors()
    {
        // The driver hands out each entry once; keep them for later calls.
        _console.AddRange(Driver.Manage().Logs.GetLog(LogType.Browser));
        return [.. _console.Where(e => e.Level == LogLevel.Severe).Select(e => e.Message)];
    }

    /// <summary>Every console entry so far, whatever its level.</summary>
    public IReadOnlyList<string> ConsoleMessages()
    {
        _console.AddRange(Driver.Manage().Logs.GetLog(LogType.Browser));
        return [.. _console.Select(e => $"{e.Level}: {e.Message}")];
    }

    public void Dispose()
    {
        try
        {
            Driver.Quit();
        }
        finally
        {
            Driver.Dispose();
            _service.Dispose();
        }
    }
}
