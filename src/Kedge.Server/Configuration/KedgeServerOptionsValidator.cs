using Kedge.Server.Backends;
using Kedge.Server.Configuration.Sources;

namespace Kedge.Server.Configuration;

/// <summary>Checks a routing configuration, listing every error with its key and how to fix it.</summary>
internal static class KedgeServerOptionsValidator
{
    /// <summary>Validates options built in code; keys are reported under <paramref name="section"/> (<c>Kedge:HttpRoutes:0:Backend</c>).</summary>
    public static void Validate(KedgeServerOptions options, string section, List<string> errors, KedgeServerSettings? settings = null)
        => Validate(options, RoutingOrigin.Section(section), errors, settings);

    /// <summary>Validates a whole routing configuration once, listing every error at its source location.</summary>
    public static void Validate(KedgeServerOptions options, RoutingOrigin origin, List<string> list, KedgeServerSettings? settings = null)
    {
        settings ??= new KedgeServerSettings();
        var errors = new RoutingErrors(origin, list);
        var httpBackends = ValidateBackends(options.HttpBackends, "HttpBackends", errors);
        var grpcBackends = ValidateBackends(options.GrpcBackends, "GrpcBackends", errors);

        for (var i = 0; i < options.HttpRoutes.Count; i++)
        {
            var route = options.HttpRoutes[i];
            var key = $"HttpRoutes:{i}";
            CheckBackendReference(route.Backend, $"{key}:Backend", httpBackends, "HttpBackends", errors);
            CheckPort(route.Port, $"{key}:Port", errors);
            if (route.PathRules.Count > 0 && route.PathRules.All(string.IsNullOrEmpty))
            {
                errors.Add($"{key}:PathRules", $"holds only empty rules, so the route can never match; remove PathRules to match every path, or give rules such as '/api/*'.");
            }

            foreach (var rule in route.PathRules.Where(r => r.Length > 0 && !r.StartsWith('/')))
            {
                errors.Add($"{key}:PathRules", $"'{rule}' must start with '/', for example '/api/*'.");
            }

            if (route.AllowAmbiguousPaths && route.PathRules.Count == 0)
            {
                errors.Add($"{key}:AllowAmbiguousPaths", $"applies only to a route with PathRules (a route without path rules forwards every path as it came); remove it, or give PathRules.");
            }

            CheckHeaderNames(route.Headers.Keys, $"{key}:Headers", "header name", errors);
            CheckAuthorization(route.Authorization, $"{key}:Authorization", settings, errors);
            if (route.ResendIdempotentOnce && options.HttpBackends.FirstOrDefault(b => b.Name == route.Backend)?.Static is { Addresses.Count: 1 } single)
            {
                errors.Add($"{key}:ResendIdempotentOnce", $"backend '{route.Backend}' has the one static address {single.Addresses[0]}, and a dropped request is only resent on another endpoint; add addresses or remove ResendIdempotentOnce.");
            }
        }

        for (var i = 0; i < options.GrpcRoutes.Count; i++)
        {
            var route = options.GrpcRoutes[i];
            var key = $"GrpcRoutes:{i}";
            CheckBackendReference(route.Backend, $"{key}:Backend", grpcBackends, "GrpcBackends", errors);
            CheckPort(route.AuthorityPort, $"{key}:AuthorityPort", errors);
            if (route.ServiceName is { } name && name.Length > 1 && name.IndexOf('*', StringComparison.Ordinal) is var star && star >= 0 && star != name.Length - 1)
            {
                errors.Add($"{key}:ServiceName", $"'{name}' may only end with '*' (a prefix of the full method name), for example 'com.example.*'.");
            }

            CheckHeaderNames(route.Metadata.Keys, $"{key}:Metadata", "metadata key", errors);
            CheckAuthorization(route.Authorization, $"{key}:Authorization", settings, errors);
        }

        CheckAdhocRules(options.HttpAdhocRules, "HttpAdhocRules", settings, errors);
        CheckAdhocRules(options.GrpcAdhocRules, "GrpcAdhocRules", settings, errors);
        CheckTunnelRoutes(options, httpBackends, settings, errors);
    }

    private static void CheckTunnelRoutes(KedgeServerOptions options, HashSet<string> httpBackends, KedgeServerSettings settings, RoutingErrors errors)
    {
        var hosts = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < options.TunnelRoutes.Count; i++)
        {
            var route = options.TunnelRoutes[i];
            var key = $"TunnelRoutes:{i}";
            var host = route.Host ?? string.Empty;
            if (host.Length == 0)
            {
                errors.Add($"{key}:Host", $"is required, for example 'db.shop.svc.cluster-b.kedge' or '*.db.cluster-b.kedge'.");
            }
            else if (host.TrimStart('*').TrimStart('.').Length == 0)
            {
                errors.Add($"{key}:Host", $"'{host}' would tunnel to every name and make kedge an open proxy; name a suffix such as '*.db.cluster-b.kedge'.");
            }
            else if (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out _))
            {
                errors.Add($"{key}:Host", $"'{host}' is an IP address; kedge tunnels to names only, for example 'db.shop.svc.cluster-b.kedge'.");
            }
            else if (host.LastIndexOf('*') > 0 || (host.StartsWith('*') && !host.StartsWith("*.", StringComparison.Ordinal)))
            {
                errors.Add($"{key}:Host", $"'{host}' may only start with '*.' (a suffix match), for example '*.db.cluster-b.kedge'.");
            }
            else if (!host.TrimStart('*').TrimStart('.').Contains('.', StringComparison.Ordinal))
            {
                errors.Add($"{key}:Host", $"'{host}' claims a whole top-level domain; name at least two labels, for example '*.db.cluster-b.kedge'.");
            }
            else if (host.AsSpan().ContainsAny(" :/@"))
            {
                errors.Add($"{key}:Host", $"'{host}' is not a host name; give the name only (ports go in Ports), for example 'db.shop.svc.cluster-b.kedge'.");
            }
            else if (hosts.TryGetValue(host, out var first))
            {
                errors.Add($"{key}:Host", $"'{host}' is already claimed by TunnelRoutes:{first}, so this route never matches; merge their Ports or remove one.");
            }
            else
            {
                hosts[host] = i;
            }

            if (route.Name is { Length: > 0 } name)
            {
                if (names.TryGetValue(name, out var firstNamed))
                {
                    errors.Add($"{key}:Name", $"'{name}' is already the name of TunnelRoutes:{firstNamed}; give each tunnel route its own name (it is the metrics' route label).");
                }
                else
                {
                    names[name] = i;
                }
            }

            if (route.Ports.Count == 0)
            {
                errors.Add($"{key}:Ports", $"is empty, so the route would allow no tunnel; list the ports callers may name, for example [5432].");
            }

            foreach (var port in route.Ports.Where(p => p is < 1 or > 65535))
            {
                errors.Add($"{key}:Ports", $"{port} is not a port; give values from 1 to 65535.");
            }

            foreach (var port in route.Ports.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => g.Key))
            {
                errors.Add($"{key}:Ports", $"{port} is listed more than once; list each port once.");
            }

            CheckBackendReference(route.Backend, $"{key}:Backend", httpBackends, "HttpBackends", errors);
            if (options.HttpBackends.FirstOrDefault(b => b.Name == route.Backend) is { Tls: not null })
            {
                errors.Add($"{key}:Backend", $"names the backend '{route.Backend}', which sets Tls; a tunnel carries the caller's bytes unchanged (TLS inside it is end to end), so name a backend without Tls.");
            }

            CheckAuthorization(route.Authorization, $"{key}:Authorization", settings, errors);
        }
    }

    private static void CheckAdhocRules(List<AdhocRuleOptions> rules, string section, KedgeServerSettings settings, RoutingErrors errors)
    {
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            var key = $"{section}:{i}";
            var matcher = rule.DnsNameMatcher ?? string.Empty;
            if (matcher.Length == 0)
            {
                errors.Add($"{key}:DnsNameMatcher", $"is required, for example '*.pods.cluster.local' or 'db.shop.svc.cluster.local'.");
            }
            else if (matcher.TrimStart('*').TrimStart('.').Length == 0)
            {
                errors.Add($"{key}:DnsNameMatcher", $"'{matcher}' would claim every name and make kedge an open proxy; name a suffix such as '*.pods.cluster.local'.");
            }
            else if (System.Net.IPAddress.TryParse(matcher.Trim('[', ']'), out _))
            {
                errors.Add($"{key}:DnsNameMatcher", $"'{matcher}' is an IP address; adhoc rules claim DNS names, for example '*.pods.cluster.local'.");
            }
            else if (!matcher.TrimStart('*').TrimStart('.').Contains('.', StringComparison.Ordinal))
            {
                errors.Add($"{key}:DnsNameMatcher", $"'{matcher}' claims a whole top-level domain; name at least two labels, for example '*.pods.cluster.local'.");
            }
            else if (matcher.LastIndexOf('*') > 0)
            {
                errors.Add($"{key}:DnsNameMatcher", $"'{matcher}' may only start with '*' (a suffix match), for example '*.pods.cluster.local'.");
            }

            CheckPort(rule.Port.Default, $"{key}:Port:Default", errors);
            foreach (var port in rule.Port.Allowed.Where(p => p is < 1 or > 65535))
            {
                errors.Add($"{key}:Port:Allowed", $"{port} is not a port; give values from 1 to 65535.");
            }

            foreach (var range in rule.Port.AllowedRanges.Where(r => r.From is < 1 or > 65535 || r.To is < 1 or > 65535 || r.From > r.To))
            {
                errors.Add($"{key}:Port:AllowedRanges", $"[{range.From}, {range.To}] is not a range of ports; give From <= To, both from 1 to 65535.");
            }

            if (rule.DnsNameReplace is { } replace && string.IsNullOrEmpty(replace.Pattern))
            {
                errors.Add($"{key}:DnsNameReplace:Pattern", $"is required when DnsNameReplace is given, for example '.internal.example.com'.");
            }

            foreach (var network in rule.AllowedReservedNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
            {
                errors.Add($"{key}:AllowedReservedNetworks", $"'{network}' is not a network in CIDR form, for example '127.0.0.0/8' or '::1/128'.");
            }

            CheckAuthorization(rule.Authorization, $"{key}:Authorization", settings, errors);
        }
    }

    private static void CheckAuthorization(RouteAuthorizationOptions? authorization, string key, KedgeServerSettings settings, RoutingErrors errors)
    {
        if (authorization is null)
        {
            return;
        }

        var certificateRule = authorization.ClientCertificate;
        if (authorization.Permissions.Count == 0 && (certificateRule is null || certificateRule.IsEmpty))
        {
            errors.Add($"{key}", $"names neither Permissions nor ClientCertificate patterns; give at least one, or remove Authorization to use the Kedge:Auth default.");
        }

        if (authorization.Permissions.Count > 0 && !settings.Auth.UsesOidc)
        {
            errors.Add($"{key}:Permissions", $"need OIDC; set Kedge:Auth:OidcProviderUrl (server_oidc_provider_url) and its client id and permissions claim.");
        }

        if (authorization.Permissions.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add($"{key}:Permissions", $"holds an empty permission; remove it.");
        }

        if (certificateRule is { IsEmpty: false })
        {
            if (settings.TlsClientCaFiles.Count == 0)
            {
                errors.Add($"{key}:ClientCertificate", $"kedge requests no client certificates; set the client CA files (server_tls_client_ca_files), with server_tls_client_cert_required=false for readable per-route answers.");
            }

            foreach (var pattern in certificateRule.SubjectCommonNames.Concat(certificateRule.DnsNames).Concat(certificateRule.Uris).Where(p => p.Trim('*').Length == 0))
            {
                errors.Add($"{key}:ClientCertificate", $"the pattern '{pattern}' accepts any certificate; name the identity, for example 'spiffe://cluster-a/ns/payments/*'.");
            }
        }
    }

    private static HashSet<string> ValidateBackends(List<BackendOptions> backends, string key, RoutingErrors errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < backends.Count; i++)
        {
            var backend = backends[i];
            var backendKey = $"{key}:{i}";
            if (!BackendNameRule.IsValid(backend.Name))
            {
                errors.Add($"{backendKey}:Name", $"'{backend.Name}' must match {BackendNameRule.Pattern}: {BackendNameRule.Fix()}, for example 'orders_shop_8080'.");
            }
            else if (!names.Add(backend.Name!))
            {
                errors.Add($"{backendKey}:Name", $"the backend '{backend.Name}' is defined twice; keep one.");
            }

            string[] resolvers = [.. new[] { ("Static", backend.Static is not null), ("Host", backend.Host is not null), ("Srv", backend.Srv is not null), ("K8s", backend.K8s is not null) }
                .Where(r => r.Item2).Select(r => $"'{r.Item1}'")];
            if (ResolverRule.IsViolated($"backend '{backend.Name}'", resolvers, ["'Static'", "'Host'", "'Srv'", "'K8s'"], out var problem, out var fix))
            {
                errors.Add(backendKey, $"{problem}. {fix}.");
                continue;
            }

            if (backend.Static is { } fixedList)
            {
                if (fixedList.Addresses.Count == 0)
                {
                    errors.Add($"{backendKey}:Static:Addresses", $"is empty; list 'host:port' entries, for example '10.0.0.7:8080'.");
                }

                foreach (var address in fixedList.Addresses)
                {
                    try
                    {
                        StaticResolver.Parse(address);
                    }
                    catch (FormatException ex)
                    {
                        errors.Add($"{backendKey}:Static:Addresses", $"{ex.Message}");
                    }
                }
            }
            else if (backend.Host is { } host)
            {
                if (string.IsNullOrWhiteSpace(host.DnsName))
                {
                    errors.Add($"{backendKey}:Host:DnsName", $"is required, for example 'orders.shop.svc.cluster.local'.");
                }

                if (host.Port is < 1 or > 65535)
                {
                    errors.Add($"{backendKey}:Host:Port", $"must be from 1 to 65535; got {host.Port}.");
                }
            }
            else if (backend.Srv is { } srv)
            {
                if (string.IsNullOrWhiteSpace(srv.DnsName))
                {
                    errors.Add($"{backendKey}:Srv:DnsName", $"is required, for example '_grpc._tcp.orders.shop.svc.cluster.local'.");
                }

                CheckPort(srv.PortOverride, $"{backendKey}:Srv:PortOverride", errors);
            }
            else if (backend.K8s is { } k8s)
            {
                try
                {
                    Kubernetes.K8sTarget.Parse(k8s.DnsPortName);
                }
                catch (FormatException ex)
                {
                    errors.Add($"{backendKey}:K8s:DnsPortName", $"{ex.Message}; for example 'orders.shop:http'.");
                }
            }

            if (backend.Tls is { } tls)
            {
                if ((tls.ClientCertificateFile is null) != (tls.ClientKeyFile is null))
                {
                    errors.Add($"{backendKey}:Tls", $"set both 'ClientCertificateFile' and 'ClientKeyFile' for backend mTLS, or neither.");
                }

                var missing = new[] { tls.CaFile, tls.ClientCertificateFile, tls.ClientKeyFile }.Where(f => f is not null && !File.Exists(f)).ToList();
                foreach (var file in missing)
                {
                    errors.Add($"{backendKey}:Tls", $"the file '{file}' does not exist.");
                }

                if (missing.Count == 0)
                {
                    CheckTlsFiles(tls, backendKey, errors);
                }
            }
        }

        return names;
    }

    /// <summary>Loads the backend's TLS files the way the backend will, so a bad file fails validation, not the apply.</summary>
    private static void CheckTlsFiles(BackendTlsOptions tls, string key, RoutingErrors errors)
    {
        try
        {
            if (tls.CaFile is not null)
            {
                try
                {
                    Kedge.Common.Tls.TrustBundle.Load([tls.CaFile]);
                }
                catch (InvalidDataException)
                {
                    errors.Add($"{key}:Tls:CaFile", $"'{tls.CaFile}' holds no certificate; give PEM 'BEGIN CERTIFICATE' blocks.");
                }
            }

            if (tls.ClientCertificateFile is not null && tls.ClientKeyFile is not null)
            {
                Kedge.Common.Tls.TlsCertificate.FromPem(File.ReadAllBytes(tls.ClientCertificateFile), File.ReadAllBytes(tls.ClientKeyFile));
            }
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or IOException or ArgumentException)
        {
            errors.Add($"{key}:Tls", $"the certificate files could not be loaded as PEM: {ex.Message}");
        }
    }

    private static void CheckBackendReference(string? backend, string key, HashSet<string> known, string list, RoutingErrors errors)
    {
        if (string.IsNullOrEmpty(backend))
        {
            errors.Add($"{key}", $"is required; name a backend from {list}.");
        }
        else if (!known.Contains(backend))
        {
            errors.Add($"{key}", $"names the backend '{backend}', which {list} does not define.");
        }
    }

    /// <summary>
    /// A matcher for a name no request can carry never matches, and the configuration binder cannot read back a key
    /// with ':' (its section separator) that --print-config would write: names must be RFC 9110 tokens.
    /// </summary>
    private static void CheckHeaderNames(IEnumerable<string> names, string key, string what, RoutingErrors errors)
    {
        foreach (var name in names.Where(n => n.Length == 0 || n.AsSpan().ContainsAnyExcept(HeaderNameCharacters)))
        {
            errors.Add($"{key}", $"'{name}' is not a {what}; use letters, digits and !#$%&'*+-.^_`|~ only, for example 'x-env'.");
        }
    }

    private static readonly System.Buffers.SearchValues<char> HeaderNameCharacters =
        System.Buffers.SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private static void CheckPort(int port, string key, RoutingErrors errors)
    {
        if (port is < 0 or > 65535)
        {
            errors.Add($"{key}", $"must be from 0 (any) to 65535; got {port}.");
        }
    }
}
