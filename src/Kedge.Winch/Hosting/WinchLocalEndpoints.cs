using Kedge.Winch.Auth;
using Kedge.Winch.Commands;
using Kedge.Winch.Internal;
using Kedge.Winch.Pac;
using Prometheus;

namespace Kedge.Winch.Hosting;

/// <summary>
/// What winch serves itself (requests in origin form to 127.0.0.1 or localhost): the PAC file, health, version,
/// metrics, token clearing and the OIDC login and callback paths.
/// </summary>
internal static class WinchLocalEndpoints
{
    public static void MapProxyPortEndpoints(IEndpointRouteBuilder endpoints, Func<string> pac, AuthSourceFactory auth, ILogger logger)
    {
        endpoints.MapMethods("/wpad.dat", ["GET", "HEAD"], () => Results.Text(pac(), PacFile.ContentType));
        endpoints.MapMethods("/winch/cleartoken/{source}", ["GET", "POST"], (HttpContext context, string source) =>
            FromAnotherSite(context.Request) ? CrossSiteRefused() : ClearToken(source, auth, logger));

        foreach (var (name, source) in auth.Built)
        {
            if (source is not OidcTokenSource oidc)
            {
                continue;
            }

            endpoints.MapGet("/winch/login/" + name, async (HttpContext context) =>
            {
                if (FromAnotherSite(context.Request))
                {
                    return CrossSiteRefused();
                }

                try
                {
                    var url = await oidc.BeginLoginAsync(context.RequestAborted).ConfigureAwait(false);
                    return Results.Redirect(url.ToString());
                }
                catch (InvalidOperationException ex)
                {
                    return WinchErrorText(ex.Message);
                }
            });

            if (oidc.CallbackPath.Length > 0)
            {
                endpoints.MapGet(oidc.CallbackPath, async (HttpContext context) =>
                {
                    var query = context.Request.Query;
                    if (query.TryGetValue("error", out var error))
                    {
                        return WinchErrorText($"the issuer refused the login for auth source '{name}': {error} {query["error_description"]}");
                    }

                    try
                    {
                        await oidc.CompleteLoginAsync(query["code"].ToString(), query["state"].ToString(), context.RequestAborted).ConfigureAwait(false);
                        return Results.Text($"winch: auth source '{name}' is logged in. You can close this tab.", "text/plain");
                    }
                    catch (InvalidOperationException ex)
                    {
                        return WinchErrorText(ex.Message);
                    }
                });
            }
        }
    }

    public static void MapMonitoringEndpoints(IEndpointRouteBuilder endpoints, WinchSettings settings)
    {
        endpoints.MapGet("/healthz", () => Results.Text("winch isok", "text/plain"));
        endpoints.MapGet("/version", () => Results.Json(new { build_version = Version }));
        endpoints.MapMetrics(settings.MetricsPath, endpoints.ServiceProvider.GetRequiredService<CollectorRegistry>());
    }

    public static string Version => typeof(WinchLocalEndpoints).Assembly.GetName().Version?.ToString(3) ?? "unknown";

    private static IResult ClearToken(string source, AuthSourceFactory auth, ILogger logger)
    {
        if (!auth.Built.TryGetValue(source, out var built))
        {
            return WinchErrorText($"no auth source called \"{source}\" is in use; known: {string.Join(", ", auth.Built.Keys)}", StatusCodes.Status404NotFound);
        }

        if (built is not IClearableTokenSource clearable)
        {
            return WinchErrorText($"auth source \"{source}\" has no cached token to clear (static tokens are read from the config)", StatusCodes.Status400BadRequest);
        }

        clearable.ClearToken();
        WinchLog.TokenCleared(logger, source);
        return Results.Text("Token cleared", "text/plain");
    }

    private static WinchErrorResult WinchErrorText(string message, int status = StatusCodes.Status500InternalServerError)
        => new WinchErrorResult(message, status);

    private sealed class WinchErrorResult(string message, int status) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.Headers[Proxy.WinchErrorTypes.ErrorHeader] = string.Concat(message.Select(c => c is >= ' ' and <= '~' ? c : ' '));
            httpContext.Response.ContentType = "text/plain; charset=utf-8";
            return httpContext.Response.WriteAsync("Error: " + message + "\n");
        }
    }

    /// <summary>
    /// Whether a browser sent this from another site's page (Sec-Fetch-Site, or an Origin that is not winch's own):
    /// such pages may not clear tokens or start logins. A URL the user opens or types is "none"; non-browser clients
    /// send neither header.
    /// </summary>
    internal static bool FromAnotherSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site is "cross-site" or "same-site")
        {
            return true;
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0
            && !(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Host is "127.0.0.1" or "localhost" or "[::1]" && uri.Port == request.Host.Port);
    }

    private static IResult CrossSiteRefused()
        => Results.Text("winch: refused a request sent by another site's page; open the winch URL yourself.", "text/plain", statusCode: StatusCodes.Status403Forbidden);
}
