using Microsoft.Extensions.Primitives;

namespace Kedge.Winch.Proxy;

/// <summary>
/// CORS for pages that call winch from a browser (Go winch wrapped its handlers in rs/cors): allowed origins get
/// <c>Access-Control-Allow-Origin</c>, preflights are answered by winch and never proxied. Unlike Go winch, no
/// configured origin means no cross-origin access; <c>*</c> allows every origin.
/// </summary>
internal static class WinchCors
{
    /// <summary>Adds CORS headers; true when the request was a preflight and has been answered.</summary>
    public static bool Apply(HttpContext context, IReadOnlyList<string> allowedOrigins)
    {
        var origin = context.Request.Headers.Origin;
        if (StringValues.IsNullOrEmpty(origin))
        {
            return false;
        }

        var allowed = allowedOrigins.Contains("*") || allowedOrigins.Contains(origin.ToString(), StringComparer.OrdinalIgnoreCase);
        var isPreflight = HttpMethods.IsOptions(context.Request.Method) && context.Request.Headers.ContainsKey("Access-Control-Request-Method");
        if (allowed)
        {
            var value = allowedOrigins.Contains("*") ? "*" : origin.ToString();
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.AccessControlAllowOrigin = value;
                context.Response.Headers.Vary = "Origin";
                return Task.CompletedTask;
            });
        }

        if (!isPreflight)
        {
            return false;
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
        if (allowed)
        {
            context.Response.Headers.AccessControlAllowMethods = "GET, POST, HEAD";
            context.Response.Headers.AccessControlAllowHeaders = "Origin, Accept, Content-Type, X-Requested-With";
        }

        return true;
    }
}
