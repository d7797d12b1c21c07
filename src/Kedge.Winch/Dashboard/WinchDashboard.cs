using System.Globalization;
using System.Text.Json;
using Kedge.Client.Tokens;
using Kedge.Common.Dashboards;
using Kedge.Winch.Auth;
using Kedge.Winch.Commands;
using Kedge.Winch.Configuration;
using Kedge.Winch.Hosting;
using Kedge.Winch.Proxy;

namespace Kedge.Winch.Dashboard;

/// <summary>
/// winch's read-only page at <c>/debug/dashboard</c> on the HTTP proxy port: the routes, each auth source's token state
/// (never the token), OIDC login status, the recent errors, the version and the uptime. The page (embedded HTML, script
/// and style; no inline code) polls <c>/debug/dashboard/state</c> every second. Served only for origin-form requests
/// whose Host is a loopback name or address, so a page on a rebound DNS name cannot read it.
/// </summary>
internal sealed class WinchDashboard
{
    public const string Path = "/debug/dashboard";
    public const string StatePath = Path + "/state";

    /// <summary>Every response of the page carries this policy: only its own script, style and state, no framing.</summary>
    public const string ContentSecurityPolicy = DashboardSecurityHeaders.ContentSecurityPolicy;

    /// <summary>A token that expires within this is shown as expiring.</summary>
    public static readonly TimeSpan ExpiringWithin = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan StaticTokenTimeout = TimeSpan.FromSeconds(1);

    private readonly WinchSettings _settings;
    private readonly AuthSourceFactory _auth;
    private readonly WinchRecentErrors _errors;
    private readonly TimeProvider _clock;
    private readonly DateTimeOffset _started;

    public WinchDashboard(WinchSettings settings, AuthSourceFactory auth, WinchRecentErrors errors, TimeProvider clock)
    {
        _settings = settings;
        _auth = auth;
        _errors = errors;
        _clock = clock;
        _started = clock.GetUtcNow();
    }

    /// <summary>Maps the page, its script and style, and its state.</summary>
    public void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Path, (HttpContext context) => ServeAsset(context, "dashboard.html", "text/html; charset=utf-8"));
        endpoints.MapGet(Path + "/dashboard.js", (HttpContext context) => ServeAsset(context, "dashboard.js", "text/javascript; charset=utf-8"));
        endpoints.MapGet(Path + "/favicon.svg", (HttpContext context) => ServeAsset(context, "favicon.svg", "image/svg+xml"));
        endpoints.MapGet(Path + "/dashboard.css", (HttpContext context) => ServeAsset(context, "dashboard.css", "text/css; charset=utf-8"));
        endpoints.MapGet(StatePath, async (HttpContext context) =>
        {
            if (!await AdmitAsync(context).ConfigureAwait(false))
            {
                return;
            }

            var json = await RenderStateAsync(context.RequestAborted).ConfigureAwait(false);
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.Body.WriteAsync(json, context.RequestAborted).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// Whether the request is for the dashboard itself (origin form, winch's own host, a path under <see cref="Path"/>
    /// in any case, as routing matches it); such requests never get CORS headers.
    /// </summary>
    internal static bool Serves(HttpContext context)
        => context.Request.Path.StartsWithSegments(Path, StringComparison.OrdinalIgnoreCase) && WinchHttpProxy.IsForWinch(context);

    /// <summary>The state as the page reads it (snake_case JSON).</summary>
    internal async Task<byte[]> RenderStateAsync(CancellationToken cancellationToken)
    {
        var now = _clock.GetUtcNow();
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("version", WinchLocalEndpoints.Version);
            json.WriteString("now", now);
            json.WriteString("started_at", _started);
            json.WriteNumber("uptime_seconds", Math.Floor((now - _started).TotalSeconds));
            json.WriteStartArray("routes");
            foreach (var route in _settings.Config.Routes)
            {
                json.WriteStartObject();
                json.WriteString("pattern", route.DirectKey ?? route.Expression);
                json.WriteString("match", route.DirectKey is null ? "regexp" : "direct");
                json.WriteString("kedge_url", route.Url);
                json.WriteString("protocol", route.Protocol.ToString().ToUpperInvariant());
                json.WriteString("backend_auth", route.BackendAuth);
                json.WriteString("proxy_auth", route.ProxyAuth);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("auth_sources");
            foreach (var (name, source) in _auth.Built.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                var kind = _settings.Config.AuthSources.TryGetValue(name, out var config) ? config.Kind : AuthSourceKind.Token;
                var state = await ReadTokenStateAsync(source, now, _clock, cancellationToken).ConfigureAwait(false);
                json.WriteStartObject();
                json.WriteString("name", name);
                json.WriteString("kind", kind.ConfigName());
                json.WriteString("state", state.State);
                WriteTime(json, "expires_at", state.Expiry);
                WriteTime(json, "last_refresh", state.LastRefresh);
                json.WriteString("last_error", state.LastError);
                WriteTime(json, "last_error_at", state.LastErrorAt);
                json.WriteString("login", LoginStatus(source, state));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("recent_errors");
            foreach (var error in _errors.Snapshot())
            {
                json.WriteStartObject();
                json.WriteString("time", error.Time);
                json.WriteString("target", error.Target);
                json.WriteString("type", error.Type);
                json.WriteString("message", error.Message);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>What a source holds now. Refreshing sources are only asked what they cache; static ones are read.</summary>
    internal static async Task<WinchTokenState> ReadTokenStateAsync(KedgeTokenSource source, DateTimeOffset now, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (source is ITrackedTokenSource tracked)
        {
            var refresh = tracked.RefreshState.Current;
            var expiry = tracked.CachedTokenExpiry;
            var state = !tracked.HasCachedToken ? "absent" : Classify(expiry, now);
            var failedLast = refresh.LastErrorAt is { } failedAt && (refresh.LastRefresh is not { } refreshedAt || failedAt > refreshedAt);
            if (failedLast && state is "absent" or "expired")
            {
                state = "error";
            }

            return new WinchTokenState(state, expiry, refresh.LastRefresh, refresh.LastError, refresh.LastErrorAt);
        }

        // A static token, a token file, a dummy: reading it has no side effects.
        using var timer = new CancellationTokenSource(StaticTokenTimeout, clock);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancellationToken);
        try
        {
            var token = await source.GetTokenAsync(timeout.Token).ConfigureAwait(false);
            var expiry = JwtExpiry.Read(token);
            return new WinchTokenState(Classify(expiry, now), expiry, null, null, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return new WinchTokenState("error", null, null, ex.Message, now);
        }
    }

    private static string Classify(DateTimeOffset? expiry, DateTimeOffset now)
        => expiry is not { } at ? "valid" : at <= now ? "expired" : at - now < ExpiringWithin ? "expiring" : "valid";

    private static string? LoginStatus(KedgeTokenSource source, WinchTokenState state)
    {
        if (source is not OidcTokenSource oidc)
        {
            return null;
        }

        if (!oidc.IsLoggedIn)
        {
            return $"not logged in: open {oidc.LoginUrl} in a browser";
        }

        return state.State is "valid" or "expiring" && state.Expiry is { } expiry
            ? "logged in, token valid until " + expiry.ToString("u", CultureInfo.InvariantCulture)
            : "logged in; the next request refreshes the token";
    }

    private static void WriteTime(Utf8JsonWriter json, string name, DateTimeOffset? value)
    {
        if (value is { } time && time != DateTimeOffset.MaxValue)
        {
            json.WriteString(name, time);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static async Task ServeAsset(HttpContext context, string name, string contentType)
    {
        if (!await AdmitAsync(context).ConfigureAwait(false))
        {
            return;
        }

        var stream = typeof(WinchDashboard).Assembly.GetManifestResourceStream("Kedge.Winch.Dashboard." + name)
            ?? throw new InvalidOperationException($"the embedded resource {name} is missing from winch");
        await using (stream.ConfigureAwait(false))
        {
            context.Response.ContentType = contentType;
            await stream.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>Sets the page's headers; answers 403 (and returns false) unless the Host is loopback.</summary>
    private static async Task<bool> AdmitAsync(HttpContext context)
    {
        foreach (var (name, value) in DashboardSecurityHeaders.All)
        {
            context.Response.Headers[name] = value;
        }

        if (context.Request.Host.HasValue && WinchLoopbackHost.Is(context.Request.Host.Host))
        {
            return true;
        }

        // DNS rebinding: a page on attacker.example that resolves to 127.0.0.1 sends Host: attacker.example.
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("winch: the dashboard answers only requests for " + WinchLoopbackHost.Names + "\n", context.RequestAborted).ConfigureAwait(false);
        return false;
    }
}
