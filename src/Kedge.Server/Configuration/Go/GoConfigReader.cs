using System.Text.Json;
using Kedge.GoCompat.Jsonpb;

namespace Kedge.Server.Configuration.Go;

/// <summary>
/// Reads Go kedge's <c>DirectorConfig</c> and <c>BackendPoolConfig</c> JSON (the <c>kedge_config_director_config</c>
/// and <c>kedge_config_backendpool_config</c> flags) the way Go's jsonpb (golang/protobuf 1.3.2) reads them, applies
/// the go-proto-validators rules Go enforces, and translates both into one <see cref="KedgeServerOptions"/>.
/// </summary>
/// <remarks>
/// <para>Accepted as jsonpb does: proto (<c>backend_name</c>) and lowerCamel (<c>backendName</c>) field names, enum
/// names or numbers, uint32 as numbers or numeric strings, <c>null</c> for "not set".</para>
/// <para>Rejected as jsonpb does: unknown fields, wrong JSON types, a top level that is not an object (the binary
/// proto form Go would try next is not supported).</para>
/// <para>Rejected beyond Go (each of these is silently accepted by Go kedge and misbehaves later): duplicate keys,
/// both name forms of one field, enum numbers without a name, null list entries, ports outside 0..65535, a backend
/// with zero or several resolvers, duplicate backend names, and (when both configs are given) a route naming a
/// backend the backendpool does not define.</para>
/// </remarks>
internal static class GoConfigReader
{
    /// <summary>The source name in director config errors.</summary>
    public const string DirectorSource = "director config";

    /// <summary>The source name in backendpool config errors.</summary>
    public const string BackendPoolSource = "backendpool config";

    /// <summary>
    /// Translates the two Go configs into native options. A null or blank config is "not given" and contributes
    /// nothing (Go's default for both flags is the empty <c>{"grpc":{},"http":{}}</c>).
    /// </summary>
    /// <param name="directorJson">The DirectorConfig JSON, or null.</param>
    /// <param name="backendPoolJson">The BackendPoolConfig JSON, or null.</param>
    /// <param name="errors">Receives every error found, each naming the source, the JSON path and the fix.</param>
    /// <param name="directorSource">How errors name the director config, for example its file.</param>
    /// <param name="backendPoolSource">How errors name the backendpool config, for example its file.</param>
    /// <returns>The options, or null when any error was found.</returns>
    public static KedgeServerOptions? Translate(string? directorJson, string? backendPoolJson, List<string> errors, string directorSource = DirectorSource, string backendPoolSource = BackendPoolSource)
    {
        ArgumentNullException.ThrowIfNull(errors);

        var errorsBefore = errors.Count;
        var options = new KedgeServerOptions();
        var directorSink = new GoConfigErrorSink(directorSource, errors);
        var poolSink = new GoConfigErrorSink(backendPoolSource, errors);

        // Route → backend references and backend definitions, with their paths, for the cross-check.
        var httpReferences = new List<(string Backend, string Path)>();
        var grpcReferences = new List<(string Backend, string Path)>();
        var httpBackends = new Dictionary<string, string>(StringComparer.Ordinal);
        var grpcBackends = new Dictionary<string, string>(StringComparer.Ordinal);

        var directorRead = false;
        if (!string.IsNullOrWhiteSpace(directorJson))
        {
            using var document = JsonpbDocument.Parse(directorJson, directorSink, "{\"grpc\": {}, \"http\": {}}");
            var director = document is null ? null : JsonpbDocument.ReadTopLevel(document.RootElement, GoConfigSchema.DirectorConfig, directorSink, "{\"grpc\": {}, \"http\": {}}");
            if (director is not null)
            {
                ReadDirector(director, options, directorSink, httpReferences, grpcReferences);
                directorRead = true;
            }
        }

        var poolRead = false;
        if (!string.IsNullOrWhiteSpace(backendPoolJson))
        {
            using var document = JsonpbDocument.Parse(backendPoolJson, poolSink, "{\"grpc\": {\"backends\": []}, \"http\": {\"backends\": []}}");
            var pool = document is null ? null : JsonpbDocument.ReadTopLevel(document.RootElement, GoConfigSchema.BackendPoolConfig, poolSink, "{\"grpc\": {\"backends\": []}, \"http\": {\"backends\": []}}");
            if (pool is not null)
            {
                ReadBackendPool(pool, options, poolSink, httpBackends, grpcBackends);
                poolRead = true;
            }
        }

        if (directorRead && poolRead)
        {
            CheckReferences(httpReferences, httpBackends, "http", "HTTP", directorSink);
            CheckReferences(grpcReferences, grpcBackends, "grpc", "gRPC", directorSink);
        }

        return errors.Count > errorsBefore ? null : options;
    }

    private static void ReadDirector(
        JsonpbMessage director,
        KedgeServerOptions options,
        GoConfigErrorSink sink,
        List<(string Backend, string Path)> httpReferences,
        List<(string Backend, string Path)> grpcReferences)
    {
        // go-proto-validators: (validator.field) = {msg_exists: true} on both sub-messages.
        foreach (var required in new[] { "grpc", "http" })
        {
            if (!director.Has(required))
            {
                sink.Add(director.PathOf(required), "message must exist", $"Add \"{required}\": {{}} (Go kedge requires both \"grpc\" and \"http\", even when empty)");
            }
        }

        var grpc = director.GetMessage("grpc", GoConfigSchema.DirectorGrpc);
        if (grpc is not null)
        {
            foreach (var route in grpc.GetMessages("routes", GoConfigSchema.GrpcRoute))
            {
                options.GrpcRoutes.Add(ReadGrpcRoute(route, sink, grpcReferences));
            }

            foreach (var adhoc in grpc.GetMessages("adhoc_rules", GoConfigSchema.Adhoc))
            {
                options.GrpcAdhocRules.Add(ReadAdhoc(adhoc, sink));
            }
        }

        var http = director.GetMessage("http", GoConfigSchema.DirectorHttp);
        if (http is not null)
        {
            foreach (var route in http.GetMessages("routes", GoConfigSchema.HttpRoute))
            {
                options.HttpRoutes.Add(ReadHttpRoute(route, sink, httpReferences));
            }

            foreach (var adhoc in http.GetMessages("adhoc_rules", GoConfigSchema.Adhoc))
            {
                options.HttpAdhocRules.Add(ReadAdhoc(adhoc, sink));
            }
        }
    }

    private static HttpRouteOptions ReadHttpRoute(JsonpbMessage route, GoConfigErrorSink sink, List<(string Backend, string Path)> references)
    {
        var result = new HttpRouteOptions
        {
            Backend = ReadRouteBackend(route, sink, references),
            PathRules = route.GetStrings("path_rules"),
            Host = NullIfEmpty(route.GetString("host_matcher")),
            ProxyMode = (ProxyMode)route.GetEnum("proxy_mode", GoConfigSchema.ProxyMode),
            Port = route.GetPort("port_matcher"),
            Autogenerated = route.GetBool("autogenerated"),
        };
        route.GetStringMap("header_matcher", result.Headers);
        return result;
    }

    private static GrpcRouteOptions ReadGrpcRoute(JsonpbMessage route, GoConfigErrorSink sink, List<(string Backend, string Path)> references)
    {
        var result = new GrpcRouteOptions
        {
            Backend = ReadRouteBackend(route, sink, references),
            ServiceName = NullIfEmpty(route.GetString("service_name_matcher")),
            AuthorityHost = NullIfEmpty(route.GetString("authority_host_matcher")),
            AuthorityPort = route.GetPort("authority_port_matcher"),
            Autogenerated = route.GetBool("autogenerated"),
        };
        route.GetStringMap("metadata_matcher", result.Metadata);
        return result;
    }

    private static string? ReadRouteBackend(JsonpbMessage route, GoConfigErrorSink sink, List<(string Backend, string Path)> references)
    {
        var backend = route.GetString("backend_name");
        var path = route.PathOf("backend_name");
        if (backend is null && route.Has("backend_name"))
        {
            // Not a string: already reported.
            return null;
        }

        if (CheckName(backend, allowDigits: true, path, sink, "and name a backend of the backendpool config") && backend is not null)
        {
            references.Add((backend, path));
        }

        return backend;
    }

    private static AdhocRuleOptions ReadAdhoc(JsonpbMessage adhoc, GoConfigErrorSink sink)
    {
        var result = new AdhocRuleOptions { DnsNameMatcher = NullIfEmpty(adhoc.GetString("dns_name_matcher")) };

        // go-proto-validators: (validator.field) = {msg_exists: true}.
        if (!adhoc.Has("port"))
        {
            sink.Add(adhoc.PathOf("port"), "message must exist", "Add a \"port\" object, for example \"port\": {\"default\": 8080, \"allowed\": [8080]}");
        }

        var port = adhoc.GetMessage("port", GoConfigSchema.AdhocPort);
        if (port is not null)
        {
            result.Port.Default = port.GetPort("default");
            result.Port.Allowed = port.GetPorts("allowed");
            foreach (var range in port.GetMessages("allowed_ranges", GoConfigSchema.AdhocPortRange))
            {
                result.Port.AllowedRanges.Add(new AdhocPortRangeOptions { From = range.GetPort("from"), To = range.GetPort("to") });
            }
        }

        var replace = adhoc.GetMessage("dns_name_replace", GoConfigSchema.AdhocReplace);
        if (replace is not null)
        {
            result.DnsNameReplace = new AdhocReplaceOptions
            {
                Pattern = replace.GetString("pattern"),
                Substitution = replace.GetString("substitution"),
            };
        }

        return result;
    }

    private static void ReadBackendPool(
        JsonpbMessage pool,
        KedgeServerOptions options,
        GoConfigErrorSink sink,
        Dictionary<string, string> httpBackends,
        Dictionary<string, string> grpcBackends)
    {
        // TlsServerConfig is a placeholder in Go kedge (never used); only its name rule applies.
        foreach (var tlsServerConfig in pool.GetMessages("tls_server_configs", GoConfigSchema.TlsServerConfig))
        {
            var name = tlsServerConfig.GetString("name");
            if (name is not null || !tlsServerConfig.Has("name"))
            {
                CheckName(name, allowDigits: false, tlsServerConfig.PathOf("name"), sink, null);
            }
        }

        var grpc = pool.GetMessage("grpc", GoConfigSchema.BackendPoolGrpc);
        if (grpc is not null)
        {
            foreach (var backend in grpc.GetMessages("backends", GoConfigSchema.GrpcBackend))
            {
                options.GrpcBackends.Add(ReadBackend(backend, isGrpc: true, sink, grpcBackends));
            }
        }

        var http = pool.GetMessage("http", GoConfigSchema.BackendPoolHttp);
        if (http is not null)
        {
            foreach (var backend in http.GetMessages("backends", GoConfigSchema.HttpBackend))
            {
                options.HttpBackends.Add(ReadBackend(backend, isGrpc: false, sink, httpBackends));
            }
        }
    }

    private static BackendOptions ReadBackend(JsonpbMessage backend, bool isGrpc, GoConfigErrorSink sink, Dictionary<string, string> defined)
    {
        var name = backend.GetString("name");
        var namePath = backend.PathOf("name");
        var nameIsString = name is not null || !backend.Has("name");
        if (nameIsString && CheckName(name, allowDigits: true, namePath, sink, null) && name is not null && !defined.TryAdd(name, namePath))
        {
            sink.Add(namePath, $"backend name \"{name}\" is already used by {defined[name]}", "Give every backend a unique name (Go kedge would silently keep the last one)");
        }

        var result = new BackendOptions
        {
            Name = name,
            Balancer = (BalancerPolicy)backend.GetEnum("balancer", isGrpc ? GoConfigSchema.GrpcBalancer : GoConfigSchema.HttpBalancer),
            Autogenerated = backend.GetBool("autogenerated"),
        };

        // Read for type checking only: conntrack metrics and tracing have no equivalent here.
        _ = backend.GetBool("disable_conntracking");

        var security = backend.GetMessage("security", isGrpc ? GoConfigSchema.GrpcSecurity : GoConfigSchema.HttpSecurity);
        if (security is not null)
        {
            // config_name names a TlsServerConfig, which Go kedge never implemented: accepted and ignored.
            _ = security.GetString("config_name");
            result.Tls = new BackendTlsOptions { InsecureSkipVerify = security.GetBool("insecure_skip_verify") };
        }

        if (isGrpc)
        {
            // Client metrics are always on here; [{"prometheus": true}] is accepted and ignored.
            foreach (var interceptor in backend.GetMessages("interceptors", GoConfigSchema.GrpcInterceptor))
            {
                _ = interceptor.GetBool("prometheus");
            }
        }

        var resolvers = new List<string>();
        var srv = backend.GetMessage("srv", GoConfigSchema.SrvResolver);
        if (backend.Has("srv"))
        {
            resolvers.Add("srv");
        }

        if (srv is not null)
        {
            result.Srv = new SrvResolverOptions { DnsName = srv.GetString("dns_name"), PortOverride = srv.GetPort("port_override") };
        }

        var k8s = backend.GetMessage("k8s", GoConfigSchema.K8sResolver);
        if (backend.Has("k8s"))
        {
            resolvers.Add("k8s");
        }

        if (k8s is not null)
        {
            result.K8s = new K8sResolverOptions { DnsPortName = k8s.GetString("dns_port_name") };
        }

        var host = backend.GetMessage("host", GoConfigSchema.HostResolver);
        if (backend.Has("host"))
        {
            resolvers.Add("host");
        }

        if (host is not null)
        {
            result.Host = new HostResolverOptions { DnsName = host.GetString("dns_name"), Port = host.GetPort("port") };
        }

        var described = name is null ? "backend" : $"backend \"{name}\"";
        if (ResolverRule.IsViolated(described, resolvers, ["\"srv\"", "\"k8s\"", "\"host\""], out var problem, out var fix))
        {
            sink.Add(backend.Path, problem, fix);
        }

        return result;
    }

    private static void CheckReferences(
        List<(string Backend, string Path)> references,
        Dictionary<string, string> defined,
        string poolField,
        string protocol,
        GoConfigErrorSink sink)
    {
        foreach (var (backend, path) in references)
        {
            if (defined.ContainsKey(backend))
            {
                continue;
            }

            var known = defined.Count == 0
                ? $"no {protocol} backends are defined"
                : $"defined {protocol} backends: {string.Join(", ", defined.Keys)}";
            sink.Add(
                path,
                $"backend \"{backend}\" is not defined in the backendpool config",
                $"Add it to the backendpool config's {poolField}.backends or fix the name ({known})");
        }
    }

    /// <summary>Applies a go-proto-validators name regex; returns true when the name is valid.</summary>
    private static bool CheckName(string? name, bool allowDigits, string path, GoConfigErrorSink sink, string? fixSuffix)
    {
        if (BackendNameRule.IsValid(name, allowDigits))
        {
            return true;
        }

        var rule = allowDigits ? BackendNameRule.Pattern : BackendNameRule.NoDigitsPattern;
        var problem = string.IsNullOrEmpty(name)
            ? $"a name is required (it must match {rule})"
            : $"\"{name}\" does not match {rule}";
        var fix = "U" + BackendNameRule.Fix(allowDigits)[1..];
        sink.Add(path, problem, fixSuffix is null ? fix : $"{fix}, {fixSuffix}");
        return false;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
