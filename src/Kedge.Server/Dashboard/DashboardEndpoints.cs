using System.Text.Json;
using Kedge.Common.Dashboards;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Kedge.Server.Dashboard;

/// <summary>
/// The dashboard's HTTP side on the admin port: the page, its script and style (embedded resources: no external asset,
/// no inline script or style) and the JSON state the page polls every second. Mapped inside the <c>/debug</c> group, so
/// <c>--server_enable_oidc_for_debug_endpoints</c> guards it exactly like <c>/debug/config</c>.
/// </summary>
internal static class DashboardEndpoints
{
    public const string Path = "/debug/dashboard";

    private static readonly (string Name, string ContentType, byte[] Content)[] Assets =
    [
        ("", "text/html; charset=utf-8", Load("index.html")),
        ("/app.js", "text/javascript; charset=utf-8", Load("app.js")),
        ("/app.css", "text/css; charset=utf-8", Load("app.css")),
        ("/icon.svg", "image/svg+xml", Load("icon.svg")),
    ];

    /// <summary>
    /// Sets the dashboard's security headers on every response under <see cref="Path"/>, the debug gate's 401/403 and
    /// 404s included; runs before routing on the admin port only. The path compares as routing matches it, ignoring
    /// case, so every spelling that reaches the dashboard's endpoints carries the headers.
    /// </summary>
    public static Task SecurityHeaders(HttpContext context, RequestDelegate next)
    {
        if (context.Request.Path.StartsWithSegments(Path, StringComparison.OrdinalIgnoreCase))
        {
            foreach (var (name, value) in DashboardSecurityHeaders.All)
            {
                context.Response.Headers[name] = value;
            }
        }

        return next(context);
    }

    /// <summary>Maps the page, its assets and <c>/state</c> under <paramref name="debug"/> (the <c>/debug</c> group).</summary>
    public static void Map(RouteGroupBuilder debug)
    {
        foreach (var (name, contentType, content) in Assets)
        {
            debug.MapGet("/dashboard" + name, () => Results.Bytes(content, contentType));
        }

        debug.MapGet("/dashboard/state", (HttpContext context) =>
        {
            var view = context.RequestServices.GetRequiredService<KedgeDashboard>().Build();
            return Results.Bytes(JsonSerializer.SerializeToUtf8Bytes(view, DashboardJsonContext.Default.DashboardView), "application/json; charset=utf-8");
        });
    }

    private static byte[] Load(string name)
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("Kedge.Server.Dashboard." + name)
            ?? throw new InvalidOperationException($"The dashboard asset '{name}' is not embedded in kedge (Kedge.Server.csproj, EmbeddedResource Dashboard/Assets).");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
