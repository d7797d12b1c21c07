using Kedge.GoCompat.Jsonpb;

namespace Kedge.Winch.Configuration;

/// <summary>
/// Reads Go winch's mapper and auth configs (<c>winch.config.MapperConfig</c> and <c>winch.config.AuthConfig</c>) the way
/// jsonpb reads them: proto or lowerCamel field names, enums by name or number, unknown fields rejected. Every error is
/// collected, named by source and JSON path, with the fix.
/// </summary>
internal static class WinchConfigReader
{
    private const string MapperExample = "{\"routes\": [{\"regexp\": {\"exp\": \"^(?P<cluster>[a-z0-9-]+)\\\\.internal$\", \"url\": \"https://${cluster}.kedge.example.com\"}}]}";
    private const string AuthExample = "{\"auth_sources\": [{\"name\": \"prod\", \"kube\": {\"user\": \"prod-user\"}}]}";

    /// <summary>Reads both configs; returns null when any error was added to <paramref name="errors"/>.</summary>
    /// <param name="mapperJson">The mapper config JSON.</param>
    /// <param name="mapperSource">Where it came from, for messages: <c>mapper config (--server_mapper_config_path=routes.json)</c>.</param>
    /// <param name="authJson">The auth config JSON.</param>
    /// <param name="authSource">Where it came from, for messages.</param>
    /// <param name="errors">Receives every error.</param>
    public static WinchConfig? Read(string mapperJson, string mapperSource, string authJson, string authSource, List<string> errors)
    {
        var before = errors.Count;
        var authSink = new GoConfigErrorSink(authSource, errors);
        var sources = new Dictionary<string, AuthSourceConfig>(StringComparer.Ordinal);
        using (var document = JsonpbDocument.Parse(authJson, authSink, AuthExample))
        {
            if (document is not null && JsonpbDocument.ReadTopLevel(document.RootElement, WinchConfigSchema.AuthConfig, authSink, AuthExample) is { } auth)
            {
                foreach (var source in auth.GetMessages("auth_sources", WinchConfigSchema.AuthSource))
                {
                    var read = ReadAuthSource(source, authSink);
                    if (read is not null && !sources.TryAdd(read.Name, read))
                    {
                        authSink.Add(source.PathOf("name"), $"auth source \"{read.Name}\" is defined twice (also at {sources[read.Name].Path})", "Give each auth source its own name");
                    }
                }
            }
        }

        var mapperSink = new GoConfigErrorSink(mapperSource, errors);
        var routes = new List<WinchRouteConfig>();
        using (var document = JsonpbDocument.Parse(mapperJson, mapperSink, MapperExample))
        {
            if (document is not null && JsonpbDocument.ReadTopLevel(document.RootElement, WinchConfigSchema.MapperConfig, mapperSink, MapperExample) is { } mapper)
            {
                foreach (var route in mapper.GetMessages("routes", WinchConfigSchema.Route))
                {
                    if (ReadRoute(route, mapperSink, sources, authSource) is { } read)
                    {
                        routes.Add(read);
                    }
                }

                if (routes.Count == 0 && errors.Count == before)
                {
                    mapperSink.Add(
                        string.Empty,
                        "no winch mapper routes defined, so winch would send nothing to any kedge",
                        $"Give --server_mapper_config or --server_mapper_config_path with at least one route, for example {MapperExample}");
                }
            }
        }

        return errors.Count == before ? new WinchConfig(routes, sources) : null;
    }

    private static WinchRouteConfig? ReadRoute(JsonpbMessage route, GoConfigErrorSink sink, Dictionary<string, AuthSourceConfig> sources, string authSource)
    {
        var before = sink.Count;
        var backendAuth = CheckAuthReference(route, "backend_auth", sink, sources, authSource);
        var proxyAuth = CheckAuthReference(route, "proxy_auth", sink, sources, authSource);
        var protocol = (WinchProtocol)route.GetEnum("protocol", WinchConfigSchema.Protocol);

        string? key = null;
        string? expression = null;
        string? url = null;
        List<string> fallbackUrls = [];
        var hasDirect = route.Has("direct");
        var hasRegexp = route.Has("regexp");
        if (hasDirect && hasRegexp)
        {
            sink.Add(route.PathOf("regexp"), "a route is either \"direct\" or \"regexp\" (the proto's oneof), not both", "Split it into two routes");
        }
        else if (hasDirect)
        {
            var direct = route.GetMessage("direct", WinchConfigSchema.DirectRoute);
            key = direct?.GetString("key");
            url = direct?.GetString("url");
            fallbackUrls = direct?.GetStrings("fallback_urls") ?? [];
            for (var i = 0; i < fallbackUrls.Count; i++)
            {
                if (!Uri.TryCreate(fallbackUrls[i].Trim(), UriKind.Absolute, out _))
                {
                    sink.Add($"{direct!.PathOf("fallback_urls")}[{i}]", $"\"{fallbackUrls[i]}\" is not a URL", "Give another kedge's URL, for example \"https://kedge.cluster-c.example.com:443\"");
                }
            }

            if (direct is not null && string.IsNullOrEmpty(key))
            {
                sink.Add(direct.PathOf("key"), "the direct route has no key", "Give the target as the client sends it: \"host\" or \"host:port\", for example \"orders.shop.svc.cluster-b.internal:8080\"");
            }

            CheckUrl(direct, url, sink, "https://kedge.cluster-b.example.com:443");
        }
        else if (hasRegexp)
        {
            var regexp = route.GetMessage("regexp", WinchConfigSchema.RegexpRoute);
            expression = regexp?.GetString("exp");
            url = regexp?.GetString("url");
            if (regexp is not null && string.IsNullOrEmpty(expression))
            {
                sink.Add(regexp.PathOf("exp"), "the regexp route has no expression", "Give an RE2 expression matched against \"host[:port]\", for example \"^(?P<cluster>[a-z0-9-]+)\\\\.internal(:[0-9]+)?$\"");
            }

            CheckUrl(regexp, url, sink, "https://${cluster}.kedge.example.com");
        }
        else
        {
            sink.Add(route.Path, "Config validation failed. No route rule (regexp|direct) configured", "Add \"direct\": {\"key\": ..., \"url\": ...} or \"regexp\": {\"exp\": ..., \"url\": ...}");
        }

        if (sink.Count != before)
        {
            return null;
        }

        return new WinchRouteConfig
        {
            Path = route.Path,
            DirectKey = key,
            Expression = expression,
            Url = url!.Trim(),
            FallbackUrls = [.. fallbackUrls.Select(u => u.Trim())],
            Protocol = protocol,
            BackendAuth = backendAuth,
            ProxyAuth = proxyAuth,
        };
    }

    private static void CheckUrl(JsonpbMessage? message, string? url, GoConfigErrorSink sink, string example)
    {
        if (message is not null && string.IsNullOrWhiteSpace(url))
        {
            sink.Add(message.PathOf("url"), "the route has no kedge URL", $"Give the kedge's URL, for example \"{example}\"");
        }
    }

    private static string? CheckAuthReference(JsonpbMessage route, string field, GoConfigErrorSink sink, Dictionary<string, AuthSourceConfig> sources, string authSource)
    {
        var name = route.GetString(field);
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        if (!sources.ContainsKey(name))
        {
            var known = sources.Count == 0 ? "it defines none" : "it defines " + string.Join(", ", sources.Keys.Select(k => $"\"{k}\""));
            sink.Add(route.PathOf(field), $"Config validation failed. Not found auth source called \"{name}\"", $"Define it in the auth config ({authSource}; {known}) or fix the name");
        }

        return name;
    }

    private static AuthSourceConfig? ReadAuthSource(JsonpbMessage source, GoConfigErrorSink sink)
    {
        var before = sink.Count;
        var name = source.GetString("name");
        if (string.IsNullOrEmpty(name))
        {
            sink.Add(source.PathOf("name"), "the auth source has no name", "Give it a name that routes refer to in \"backend_auth\" or \"proxy_auth\"");
        }

        string[] kinds = ["dummy", "kube", "oidc", "token", "service_account_oidc"];
        var given = kinds.Where(source.Has).ToList();
        if (given.Count != 1)
        {
            var problem = given.Count == 0 ? "the auth source has no type" : $"the auth source has {given.Count} types ({string.Join(", ", given)}) but the proto's oneof takes one";
            sink.Add(source.Path, problem, "Give exactly one of \"token\", \"kube\", \"oidc\", \"dummy\" or \"service_account_oidc\"");
            return null;
        }

        AuthSourceConfig? result = null;
        switch (given[0])
        {
            case "token":
                var token = source.GetMessage("token", WinchConfigSchema.TokenAccess);
                result = new AuthSourceConfig { Path = source.Path, Name = name ?? string.Empty, Kind = AuthSourceKind.Token, Value = token?.GetString("token") ?? string.Empty };
                if (token is not null && result.Value.Length == 0)
                {
                    sink.Add(token.PathOf("token"), "the token source has no token", "Give the bearer token as \"token\"");
                }

                break;

            case "dummy":
                var dummy = source.GetMessage("dummy", WinchConfigSchema.DummyAccess);
                result = new AuthSourceConfig { Path = source.Path, Name = name ?? string.Empty, Kind = AuthSourceKind.Dummy, Value = dummy?.GetString("value") ?? string.Empty };
                break;

            case "kube":
                var kube = source.GetMessage("kube", WinchConfigSchema.KubernetesAccess);
                result = new AuthSourceConfig
                {
                    Path = source.Path,
                    Name = name ?? string.Empty,
                    Kind = AuthSourceKind.Kube,
                    User = kube?.GetString("user") ?? string.Empty,
                    FilePath = kube?.GetString("path") ?? string.Empty,
                };
                if (kube is not null && result.User.Length == 0)
                {
                    sink.Add(kube.PathOf("user"), "the kube source has no user", "Give the name of a user in the kubeconfig (kubectl config view -o jsonpath='{.users[*].name}')");
                }

                break;

            case "oidc":
                var oidc = source.GetMessage("oidc", WinchConfigSchema.OidcAccess);
                result = new AuthSourceConfig
                {
                    Path = source.Path,
                    Name = name ?? string.Empty,
                    Kind = AuthSourceKind.Oidc,
                    Provider = oidc?.GetString("provider") ?? string.Empty,
                    ClientId = oidc?.GetString("client_id") ?? string.Empty,
                    Secret = oidc?.GetString("secret") ?? string.Empty,
                    Scopes = oidc?.GetStrings("scopes") ?? [],
                    FilePath = oidc?.GetString("path") ?? string.Empty,
                    LoginCallbackPath = oidc?.GetString("login_callback_path") ?? string.Empty,
                };
                if (oidc is not null)
                {
                    CheckOidc(oidc, result.Provider, result.ClientId, result.LoginCallbackPath, sink);
                }

                break;

            case "service_account_oidc":
                var sa = source.GetMessage("service_account_oidc", WinchConfigSchema.GoogleServiceAccountOidcAccess);
                result = new AuthSourceConfig
                {
                    Path = source.Path,
                    Name = name ?? string.Empty,
                    Kind = AuthSourceKind.ServiceAccountOidc,
                    Provider = sa?.GetString("provider") ?? string.Empty,
                    ClientId = sa?.GetString("client_id") ?? string.Empty,
                    Secret = sa?.GetString("secret") ?? string.Empty,
                    Scopes = sa?.GetStrings("scopes") ?? [],
                    ServiceAccountJsonPath = sa?.GetString("service_account_json_path") ?? string.Empty,
                };
                break;
        }

        return sink.Count == before ? result : null;
    }

    private static void CheckOidc(JsonpbMessage oidc, string provider, string clientId, string callbackPath, GoConfigErrorSink sink)
    {
        if (!Uri.TryCreate(provider, UriKind.Absolute, out var issuer) || (issuer.Scheme != Uri.UriSchemeHttps && issuer.Scheme != Uri.UriSchemeHttp))
        {
            sink.Add(oidc.PathOf("provider"), $"\"{provider}\" is not an issuer URL", "Give the OIDC issuer, for example \"https://accounts.example.com\" (its /.well-known/openid-configuration is read)");
        }

        if (clientId.Length == 0)
        {
            sink.Add(oidc.PathOf("client_id"), "the oidc source has no client_id", "Give the OAuth client id registered with the issuer");
        }

        if (callbackPath.Length > 0 && (!callbackPath.StartsWith('/') || callbackPath.StartsWith("/winch/", StringComparison.Ordinal)))
        {
            sink.Add(oidc.PathOf("login_callback_path"), $"\"{callbackPath}\" is not a usable callback path", "Give a path on winch starting with '/', outside /winch/, for example \"/login/callback\"");
        }
    }
}
