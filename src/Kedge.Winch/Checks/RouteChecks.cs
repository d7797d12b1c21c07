using System.Globalization;
using System.Net;
using Kedge.Client.Http;
using Kedge.Client.Mapping;
using Kedge.Client.Tokens;
using Kedge.Common;
using Kedge.Common.Checks;
using Kedge.Winch.Configuration;
using Kedge.Winch.Internal;

namespace Kedge.Winch.Checks;

/// <summary>
/// One GET per route, sent the way winch sends (the same Kedge.Client clients, certificate and tokens): a route with an
/// exact host is requested at that host; a pattern route at the <c>--probe</c> targets it is the first match for, and
/// without one it gets a ⚠ asking for a probe. kedge's error answers are judged with the shared error vocabulary; any
/// other answer means kedge routed the request.
/// </summary>
internal static class RouteChecks
{
    public static IEnumerable<CheckDefinition> For(WinchCheckContext context)
    {
        var routes = context.Settings.Config.Routes;
        var probesByRoute = AssignProbes(routes, context.Probes, out var unmatched);
        for (var i = 0; i < routes.Count; i++)
        {
            var route = routes[i];
            var area = "route " + (route.DirectKey ?? route.Expression);
            var where = $"{context.MapperSource} {route.Path}";
            var targets = route.DirectKey is { } key ? [key] : probesByRoute[i];
            if (targets.Count == 0)
            {
                yield return CheckDefinition.Known(CheckResult.Warn(area, "request", $"a pattern route ({where}); winch check does not know a host to request",
                    $"name a host it routes with --probe=host[:port] (repeat the flag or give a list) to send it one request"));
                continue;
            }

            foreach (var target in targets)
            {
                yield return CheckDefinition.Single(area, "GET http://" + target + "/", cancellationToken => RequestAsync(area, route, where, target, context, cancellationToken));
            }
        }

        foreach (var probe in unmatched)
        {
            yield return CheckDefinition.Known(CheckResult.Warn("probes", probe, $"no route matches {probe}: winch sends it directly, not through kedge",
                $"drop --probe={probe}, or add a route for it to {context.MapperSource}"));
        }
    }

    /// <summary>Each probe goes to the first route, in config order, whose key or expression matches it.</summary>
    private static List<string>[] AssignProbes(IReadOnlyList<WinchRouteConfig> routes, IReadOnlyList<string> probes, out List<string> unmatched)
    {
        var assigned = routes.Select(_ => new List<string>()).ToArray();
        unmatched = [];
        foreach (var probe in probes)
        {
            var (host, port) = Split(probe);
            var index = -1;
            for (var i = 0; i < routes.Count && index < 0; i++)
            {
                if (Matches(routes[i], host, port))
                {
                    index = i;
                }
            }

            if (index < 0)
            {
                unmatched.Add(probe);
            }
            else
            {
                assigned[index].Add(probe);
            }
        }

        return assigned;
    }

    private static bool Matches(WinchRouteConfig route, string host, int? port)
    {
        try
        {
            var mapper = route.DirectKey is { } key
                ? KedgeMapper.Direct([new KeyValuePair<string, Kedge.Client.KedgeRoute>(key, new Kedge.Client.KedgeRoute(new Uri("https://kedge.invalid")))])
                : KedgeMapper.Regex(route.Expression!, route.Url, null, null);
            return mapper.Map(host, port) is not null;
        }
        catch (Exception ex) when (ex is ArgumentException or KedgeMappingException)
        {
            return false;
        }
    }

    private static async Task<CheckResult> RequestAsync(string area, WinchRouteConfig route, string where, string target, WinchCheckContext context, CancellationToken cancellationToken)
    {
        var name = "GET http://" + target + "/";
        var (host, port) = Split(target);
        var grpcOnly = route.Protocol == WinchProtocol.Grpc;
        var client = grpcOnly ? context.Clients.Grpc : context.Clients.Http;
        var invoker = grpcOnly ? context.Clients.GrpcInvoker : context.Clients.HttpInvoker;
        Kedge.Client.KedgeRoute? mapped;
        try
        {
            mapped = client.Mapper.Map(host, port);
        }
        catch (KedgeMappingException ex)
        {
            return CheckResult.Fail(area, name, $"winch cannot map {target}: {ex.Message}", $"correct {where}");
        }

        if (mapped is null)
        {
            return CheckResult.Warn(area, name, $"{target} is matched by no {(grpcOnly ? "gRPC" : "HTTP")} route, so winch sends it directly", $"check the protocol and order of the routes in {context.MapperSource}");
        }

        var kedge = mapped.KedgeUrl.GetLeftPart(UriPartial.Authority);
        try
        {
            using var response = await SendWithFallbackAsync(invoker, target, cancellationToken).ConfigureAwait(false);
            return Judge(area, name, response, target, kedge, where);
        }
        catch (KedgeTokenSourceException ex)
        {
            return CheckResult.Fail(area, name, $"winch got no token for {target}: {ExceptionMessages.Chain(ex)}", $"see the 'auth {ex.TokenSourceName}' lines");
        }
        catch (HttpRequestException ex)
        {
            return CheckResult.Fail(area, name, $"winch could not send {target} through kedge {kedge}: {ExceptionMessages.Chain(ex)}", $"see the 'kedge {kedge}' lines");
        }
    }

    /// <summary>
    /// HTTP/2 first; as winch's proxy does, a kedge without HTTP/2 gets HTTP/1.1. The retry runs outside the catch, so its
    /// own failures reach the caller's handlers like the first attempt's.
    /// </summary>
    private static async Task<HttpResponseMessage> SendWithFallbackAsync(HttpMessageInvoker invoker, string target, CancellationToken cancellationToken)
    {
        try
        {
            return await SendAsync(invoker, target, HttpVersion.Version20, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (KedgeHttp2NotNegotiatedException.IsIn(ex))
        {
            // Fall through to HTTP/1.1 below.
        }

        return await SendAsync(invoker, target, HttpVersion.Version11, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpMessageInvoker invoker, string target, Version version, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://" + target + "/") { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower };
        return await invoker.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static CheckResult Judge(string area, string name, HttpResponseMessage response, string target, string kedge, string where)
    {
        var status = (int)response.StatusCode;
        var statusText = $"{status.ToString(CultureInfo.InvariantCulture)} {response.ReasonPhrase}".TrimEnd();
        if (response.Headers.TryGetValues(KedgeHeaders.Error, out var errors))
        {
            var type = response.Headers.TryGetValues(KedgeHeaders.ErrorType, out var types) ? types.FirstOrDefault() : null;
            var kind = KedgeErrorKind.Find(type);
            var meaning = kind?.Meaning ?? "an error type this winch does not know.";
            var requestId = response.Headers.TryGetValues(KedgeHeaders.RequestId, out var ids) ? $" (request id {ids.FirstOrDefault()})" : string.Empty;
            return CheckResult.Fail(area, name, $"kedge {kedge} answered {statusText} {type ?? "(no type)"}: \"{string.Join(' ', errors)}\"{requestId}. It means: {meaning}",
                KedgeErrorFixes.For(kind, target, kedge, where));
        }

        return CheckResult.Pass(area, name, $"kedge {kedge} routed it; the backend answered {statusText}");
    }

    private static (string Host, int? Port) Split(string target)
    {
        if (Uri.TryCreate("http://" + target, UriKind.Absolute, out var uri))
        {
            var explicitPort = target.EndsWith(":" + uri.Port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            return (uri.IdnHost, explicitPort ? uri.Port : null);
        }

        return (target, null);
    }
}
