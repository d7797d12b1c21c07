using Kedge.Client.Internal;
using Kedge.Client.Mapping;
using Kedge.Common.Files;
using Kedge.Common.Tls;
using Kedge.Client.Tokens;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kedge.Client.Configuration;

/// <summary>
/// Turns <see cref="KedgeClientOptions"/> into a mapper and certificate sources, collecting every error with the
/// configuration key it belongs to. The start, reloads and <c>KedgeClient.Create</c> share this one path, so what
/// validates is exactly what runs.
/// </summary>
internal static class KedgeClientOptionsCompiler
{
    public const string DefaultSectionName = "Kedge";

    public static CompiledKedgeClient? Compile(KedgeClientOptions options, KedgeClientSection source, TimeProvider timeProvider, ILogger? logger, List<string> errors, KedgeClientMetrics? metrics = null)
    {
        metrics ??= KedgeClientMetrics.Static;
        logger ??= NullLogger.Instance;
        var before = errors.Count;
        var section = source.Path;
        if (source.Configuration is { } configuration)
        {
            KedgeClientConfigurationKeys.Check(configuration, section, errors);
        }

        CheckPositive(options.PooledConnectionLifetime, $"{section}:PooledConnectionLifetime", "00:05:00", errors);
        CheckPositive(options.FileRefreshInterval, $"{section}:FileRefreshInterval", "00:00:05", errors);
        CheckPositive(options.ConnectTimeout, $"{section}:ConnectTimeout", "00:00:10", errors);

        var tokenSources = CompileTokenSources(options, section, timeProvider, errors);
        var mapper = options.Mapper ?? CompileRoutes(options, section, tokenSources, errors);
        var certificate = CompileClientCertificate(options, section, timeProvider, logger, metrics, errors);
        var trust = CompileTrust(options, section, timeProvider, logger, metrics, errors);
        if (errors.Count == before && mapper is not null)
        {
            // A source made in code may serve several clients; its refreshes count in the meter of the latest.
            foreach (var tokenSource in mapper.TokenSources.Concat(tokenSources.Values))
            {
                tokenSource.Metrics = metrics;
            }
        }

        return errors.Count == before && mapper is not null ? new CompiledKedgeClient(mapper, certificate, trust) : null;
    }

    private static void CheckPositive(TimeSpan value, string key, string example, List<string> errors)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{key}: must be a positive duration, for example '{example}'; got '{value}'.");
        }
    }

    private static Dictionary<string, KedgeTokenSource> CompileTokenSources(KedgeClientOptions options, string section, TimeProvider timeProvider, List<string> errors)
    {
        var sources = new Dictionary<string, KedgeTokenSource>(StringComparer.Ordinal);
        foreach (var (name, source) in options.TokenSources)
        {
            var key = $"{section}:TokenSources:{name}";
            var kinds = (source.Value is not null ? 1 : 0) + (source.File is not null ? 1 : 0) + (source.Source is not null ? 1 : 0);
            if (kinds != 1)
            {
                errors.Add($"{key}: set exactly one of 'Value' (a static token), 'File' (a token file) or 'Source' (code); {kinds} are set.");
                continue;
            }

            try
            {
                if (source.Source is not null)
                {
                    sources[name] = source.Source;
                }
                else if (source.File is not null)
                {
                    if (!File.Exists(source.File))
                    {
                        errors.Add($"{key}:File: the token file '{source.File}' does not exist; mount it or fix the path.");
                        continue;
                    }

                    sources[name] = new FileTokenSource(name, source.File, options.FileRefreshInterval > TimeSpan.Zero ? options.FileRefreshInterval : TimeSpan.FromSeconds(5), timeProvider);
                }
                else
                {
                    sources[name] = new StaticTokenSource(name, source.Value!);
                }
            }
            catch (ArgumentException ex)
            {
                errors.Add($"{key}: {ex.Message}");
            }
        }

        return sources;
    }

    private static KedgeMapper? CompileRoutes(KedgeClientOptions options, string section, Dictionary<string, KedgeTokenSource> tokenSources, List<string> errors)
    {
        if (options.Routes.Count == 0)
        {
            errors.Add($"{section}:Routes: no routes are configured; add at least one, for example {{ \"Single\": {{ \"Url\": \"https://kedge.cluster-b.example.com\" }} }}.");
            return null;
        }

        var mappers = new List<KedgeMapper>(options.Routes.Count);
        for (var i = 0; i < options.Routes.Count; i++)
        {
            var route = options.Routes[i];
            var key = $"{section}:Routes:{i}";
            var proxyAuth = ResolveTokenSource(route.ProxyAuth, $"{key}:ProxyAuth", tokenSources, options, errors);
            var backendAuth = ResolveTokenSource(route.BackendAuth, $"{key}:BackendAuth", tokenSources, options, errors);
            var kinds = (route.Suffix is not null ? 1 : 0) + (route.Regex is not null ? 1 : 0) + (route.Direct is not null ? 1 : 0) + (route.Single is not null ? 1 : 0);
            if (kinds != 1)
            {
                errors.Add($"{key}: set exactly one of 'Suffix', 'Regex', 'Direct' or 'Single'; {kinds} are set.");
                continue;
            }

            if (route.TlsServerName is { Length: 0 })
            {
                errors.Add($"{key}:TlsServerName: is empty; remove it to verify the kedge URL's host, or give the name on kedge's certificate.");
            }

            try
            {
                mappers.Add(CompileRoute(route, key, proxyAuth, backendAuth));
            }
            catch (RouteException ex)
            {
                errors.Add(ex.Message);
            }
        }

        return mappers.Count == 1 ? mappers[0] : KedgeMapper.FirstMatch(mappers);
    }

    private static KedgeMapper CompileRoute(KedgeRouteOptions route, string key, KedgeTokenSource? proxyAuth, KedgeTokenSource? backendAuth)
    {
        if (route.Suffix is { } suffix)
        {
            if (route.TlsServerName is not null)
            {
                throw new RouteException($"{key}:TlsServerName: cannot be combined with a 'Suffix' route, whose kedge host varies; use it with 'Single' or 'Direct'.");
            }

            return Wrap($"{key}:Suffix", () => KedgeMapper.Suffix(suffix.Pattern!, suffix.KedgeSuffix!, suffix.Scheme, proxyAuth, backendAuth), new()
            {
                ["pattern"] = "Pattern",
                ["kedgeSuffix"] = "KedgeSuffix",
                ["scheme"] = "Scheme",
            });
        }

        if (route.Regex is { } regex)
        {
            if (route.TlsServerName is not null)
            {
                throw new RouteException($"{key}:TlsServerName: cannot be combined with a 'Regex' route, whose kedge host varies; use it with 'Single' or 'Direct'.");
            }

            return Wrap($"{key}:Regex", () => KedgeMapper.Regex(regex.Pattern!, regex.Url!, proxyAuth, backendAuth), new()
            {
                ["pattern"] = "Pattern",
                ["urlTemplate"] = "Url",
            });
        }

        if (route.Direct is { } direct)
        {
            var kedgeRoute = Wrap($"{key}:Direct", () => BuildRoute(direct.Url, direct.FallbackUrls, route, proxyAuth, backendAuth), new() { ["kedgeUrl"] = "Url", ["url"] = "Url", ["FallbackKedgeUrls"] = "FallbackUrls", ["fallbackUrls"] = "FallbackUrls" });
            return Wrap($"{key}:Direct", () => KedgeMapper.Direct([new(direct.Host!, kedgeRoute)]), new() { ["key"] = "Host", ["routes"] = "Host" });
        }

        var single = route.Single!;
        var singleRoute = Wrap($"{key}:Single", () => BuildRoute(single.Url, single.FallbackUrls, route, proxyAuth, backendAuth), new() { ["kedgeUrl"] = "Url", ["url"] = "Url", ["FallbackKedgeUrls"] = "FallbackUrls", ["fallbackUrls"] = "FallbackUrls" });
        return new SingleMapper(singleRoute);
    }

    private static KedgeRoute BuildRoute(string? url, IList<string> fallbackUrls, KedgeRouteOptions route, KedgeTokenSource? proxyAuth, KedgeTokenSource? backendAuth)
    {
        if (string.IsNullOrWhiteSpace(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new ArgumentException($"'{url}' is not an absolute URL; give the kedge's URL, for example 'https://kedge.cluster-b.example.com'.", nameof(url));
        }

        var fallbacks = new Uri[fallbackUrls.Count];
        for (var i = 0; i < fallbacks.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(fallbackUrls[i]) || !Uri.TryCreate(fallbackUrls[i], UriKind.Absolute, out var fallback))
            {
                throw new ArgumentException($"entry {i}, '{fallbackUrls[i]}', is not an absolute URL; give another kedge's URL, for example 'https://kedge.cluster-c.example.com'.", nameof(fallbackUrls));
            }

            fallbacks[i] = fallback;
        }

        return new KedgeRoute(uri) { ProxyAuth = proxyAuth, BackendAuth = backendAuth, TlsServerName = route.TlsServerName, FallbackKedgeUrls = fallbacks };
    }

    private static T Wrap<T>(string key, Func<T> build, Dictionary<string, string> parameterKeys)
    {
        try
        {
            return build();
        }
        catch (ArgumentException ex)
        {
            var field = ex.ParamName is { } p && parameterKeys.TryGetValue(p, out var mapped) ? $"{key}:{mapped}" : key;
            var message = ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", string.Empty, StringComparison.Ordinal);
            throw new RouteException($"{field}: {message}");
        }
    }

    private static KedgeTokenSource? ResolveTokenSource(string? name, string key, Dictionary<string, KedgeTokenSource> tokenSources, KedgeClientOptions options, List<string> errors)
    {
        if (name is null)
        {
            return null;
        }

        if (tokenSources.TryGetValue(name, out var source))
        {
            return source;
        }

        if (!options.TokenSources.ContainsKey(name))
        {
            var known = options.TokenSources.Count == 0 ? "none are defined" : "defined: " + string.Join(", ", options.TokenSources.Keys.Select(k => $"'{k}'"));
            errors.Add($"{key}: names the token source '{name}', which is not defined under TokenSources ({known}).");
        }

        return null;
    }

    private static FileSnapshot<TlsCertificate>? CompileClientCertificate(KedgeClientOptions options, string section, TimeProvider timeProvider, ILogger logger, KedgeClientMetrics metrics, List<string> errors)
    {
        if (options.ClientCertificate is not { } cert)
        {
            return null;
        }

        var key = $"{section}:ClientCertificate";
        var pem = cert.CertificateFile is not null || cert.KeyFile is not null;
        var pfx = cert.PfxFile is not null;
        if (pem == pfx)
        {
            errors.Add($"{key}: set either 'CertificateFile' and 'KeyFile' (PEM) or 'PfxFile' (PKCS#12), not {(pem ? "both" : "neither")}.");
            return null;
        }

        var interval = options.FileRefreshInterval > TimeSpan.Zero ? options.FileRefreshInterval : TimeSpan.FromSeconds(5);
        string joinedPaths;
        FileSnapshot<TlsCertificate> snapshot;
        if (pem)
        {
            var missing = false;
            if (string.IsNullOrWhiteSpace(cert.CertificateFile))
            {
                errors.Add($"{key}:CertificateFile: is required with 'KeyFile'; give the PEM certificate file, for example 'tls.crt'.");
                missing = true;
            }

            if (string.IsNullOrWhiteSpace(cert.KeyFile))
            {
                errors.Add($"{key}:KeyFile: is required with 'CertificateFile'; give the PEM private key file, for example 'tls.key'.");
                missing = true;
            }

            if (missing)
            {
                return null;
            }

            joinedPaths = $"{cert.CertificateFile}, {cert.KeyFile}";
            snapshot = TlsFiles.WatchCertificate(
                cert.CertificateFile!,
                cert.KeyFile!,
                forServer: false,
                timeProvider,
                onChanged: c => LogCertificateReloaded(logger, metrics, joinedPaths, c),
                onReloadFailed: ex => CertificateReloadFailed(logger, metrics, joinedPaths, ex),
                interval);
        }
        else
        {
            joinedPaths = cert.PfxFile!;
            snapshot = TlsFiles.WatchPkcs12(
                cert.PfxFile!,
                cert.Password,
                timeProvider,
                onChanged: c => LogCertificateReloaded(logger, metrics, joinedPaths, c),
                onReloadFailed: ex => CertificateReloadFailed(logger, metrics, joinedPaths, ex),
                interval);
        }

        try
        {
            snapshot.GetCurrent();
        }
        catch (IOException ex)
        {
            errors.Add($"{key}: {ex.Message}");
            return null;
        }

        return snapshot;
    }

    private static FileSnapshot<TrustBundle>? CompileTrust(KedgeClientOptions options, string section, TimeProvider timeProvider, ILogger logger, KedgeClientMetrics metrics, List<string> errors)
    {
        if (options.KedgeCaFiles.Count == 0)
        {
            return null;
        }

        var joined = string.Join(", ", options.KedgeCaFiles);
        var snapshot = TlsFiles.WatchTrustBundle(
            [.. options.KedgeCaFiles],
            timeProvider,
            onChanged: _ =>
            {
                metrics.CertificateReload("kedge-ca", succeeded: true);
                KedgeClientLog.TrustBundleReloaded(logger, joined);
            },
            onReloadFailed: ex =>
            {
                metrics.CertificateReload("kedge-ca", succeeded: false);
                KedgeClientLog.TrustBundleReloadFailed(logger, joined, ex);
            },
            options.FileRefreshInterval > TimeSpan.Zero ? options.FileRefreshInterval : TimeSpan.FromSeconds(5));
        try
        {
            snapshot.GetCurrent();
        }
        catch (IOException ex)
        {
            errors.Add($"{section}:KedgeCaFiles: {ex.Message}");
            return null;
        }

        return snapshot;
    }

    private static void CertificateReloadFailed(ILogger logger, KedgeClientMetrics metrics, string paths, Exception exception)
    {
        metrics.CertificateReload("client", succeeded: false);
        KedgeClientLog.ClientCertificateReloadFailed(logger, paths, exception);
    }

    private static void LogCertificateReloaded(ILogger logger, KedgeClientMetrics metrics, string paths, TlsCertificate certificate)
    {
        metrics.CertificateReload("client", succeeded: true);
        if (logger.IsEnabled(LogLevel.Information))
        {
            KedgeClientLog.ClientCertificateReloaded(logger, paths, certificate.Leaf.Subject, certificate.Leaf.NotAfter);
        }
    }

    private sealed class RouteException(string message) : Exception(message);
}
