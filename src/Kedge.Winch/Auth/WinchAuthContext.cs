using Kedge.Common.Http;

namespace Kedge.Winch.Auth;

/// <summary>What auth sources share: the clock, an HTTP client for issuers, the per-operation timeout and winch's own address.</summary>
internal sealed class WinchAuthContext
{
    public WinchAuthContext(TimeProvider timeProvider, HttpClient issuerClient, ILogger logger, TimeSpan timeout)
    {
        TimeProvider = timeProvider;
        IssuerClient = issuerClient;
        Logger = logger;
        Timeout = timeout;
    }

    public TimeProvider TimeProvider { get; }

    /// <summary>Talks to OIDC issuers directly (never through an HTTP_PROXY, which may be winch itself).</summary>
    public HttpClient IssuerClient { get; }

    public ILogger Logger { get; }

    /// <summary>Time allowed for one token fetch (refresh request, exec plugin run).</summary>
    public TimeSpan Timeout { get; }

    /// <summary>winch's HTTP address (<c>http://127.0.0.1:8070</c>), known once the listener is bound; for login links and callbacks.</summary>
    public string WinchAddress { get; set; } = "http://127.0.0.1:8070";

    /// <summary>
    /// The HTTP client for issuers. Issuers are called directly: an HTTP_PROXY in the environment may well point at winch
    /// itself. No redirects: a 307/308 would re-send refresh tokens and client secrets to another host. The issuer's
    /// certificate is checked against the system's trust store.
    /// </summary>
    public static HttpClient CreateIssuerClient()
        => new(OutgoingHandlerFactory.Create(connectTimeout: TimeSpan.FromSeconds(10)));

    /// <summary>Tokens are treated as expired this long before their expiry, so a token does not run out in flight.</summary>
    public static TimeSpan ExpirySkew { get; } = TimeSpan.FromSeconds(10);
}
