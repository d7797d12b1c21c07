using System.Security.Cryptography;
using System.Text;
using Kedge.GoCompat;
using Kedge.Server.Configuration;
using Kedge.Server.Configuration.Go;
using Kedge.Server.Configuration.Settings;
using Kedge.Server.Configuration.Sources;
using Kedge.Server.Hosting.GoFlags;
using Microsoft.Extensions.Configuration;

namespace Kedge.Server.Hosting;

/// <summary>
/// Where the routing configuration comes from: Go kedge's director and backendpool JSON (inline flags or files), or a
/// native JSON file with a <c>Kedge</c> section. Files are re-read by content (<see cref="KedgeConfigWatcher"/>).
/// </summary>
internal sealed class KedgeConfigSource
{
    private readonly string? _director;
    private readonly string? _directorPath;
    private readonly string? _backendPool;
    private readonly string? _backendPoolPath;
    private readonly string? _nativePath;
    private bool _useEnvironment;

    private const string DefaultNativeFile = "appsettings.json";

    private KedgeConfigSource(string? director, string? directorPath, string? backendPool, string? backendPoolPath, string? nativePath)
    {
        _director = director;
        _directorPath = directorPath;
        _backendPool = backendPool;
        _backendPoolPath = backendPoolPath;
        _nativePath = nativePath;
    }

    private bool IsNative => _nativePath is not null || _useEnvironment;

    /// <summary>The files to watch.</summary>
    public IReadOnlyList<string> Files => new[] { _directorPath, _backendPoolPath, _nativePath }.Where(p => p is not null).ToArray()!;

    public static KedgeConfigSource? FromFlags(GoFlagParseResult parsed, List<string> errors)
    {
        string? Flag(string name) => parsed.GetString(name) is { Length: > 0 } value ? value : null;
        var source = new KedgeConfigSource(
            Flag(KedgeFlags.DirectorConfig),
            Flag(KedgeFlags.DirectorConfigPath),
            Flag(KedgeFlags.BackendPoolConfig),
            Flag(KedgeFlags.BackendPoolConfigPath),
            Flag(KedgeProgram.ConfigFlag));
        var before = errors.Count;
        if (source._director is not null && source._directorPath is not null)
        {
            errors.Add($"--{KedgeFlags.DirectorConfig} and --{KedgeFlags.DirectorConfigPath} are both set; give the director config one way.");
        }

        if (source._backendPool is not null && source._backendPoolPath is not null)
        {
            errors.Add($"--{KedgeFlags.BackendPoolConfig} and --{KedgeFlags.BackendPoolConfigPath} are both set; give the backendpool config one way.");
        }

        var goGiven = source._director is not null || source._directorPath is not null || source._backendPool is not null || source._backendPoolPath is not null;
        if (goGiven && source._nativePath is not null)
        {
            errors.Add("--config and the Go config flags are both set; use the native file or the Go director/backendpool configs, not both (convert with --print-config).");
        }

        if (!goGiven && source._nativePath is null)
        {
            // The .NET way with no flags at all: a "Kedge" section in ./appsettings.json and/or KEDGE__-style
            // environment variables (Kedge__HttpRoutes__0__Host=...).
            var fallback = new KedgeConfigSource(null, null, null, null, File.Exists(DefaultNativeFile) ? DefaultNativeFile : null) { _useEnvironment = true };
            if (fallback.BuildNative(errors: null)?.GetSection("Kedge").Exists() == true)
            {
                return fallback;
            }

            errors.Add($"No routing configuration: give --config <file> (native), a \"Kedge\" section in ./{DefaultNativeFile} or Kedge__* environment variables, or --{KedgeFlags.DirectorConfigPath} and --{KedgeFlags.BackendPoolConfigPath} (Go kedge JSON).");
        }

        return errors.Count == before ? source : null;
    }

    /// <summary>
    /// Where the routing comes from, as a person names it: the native file (and the environment when it is read), or
    /// the Go director and backendpool configs (files, or inline flags).
    /// </summary>
    public string Description => IsNative
        ? _nativePath is null ? "Kedge__* environment variables" : _useEnvironment ? $"{_nativePath} and Kedge__* environment variables" : _nativePath
        : $"{GoSource(_directorPath, KedgeFlags.DirectorConfig, GoConfigReader.DirectorSource)} and {GoSource(_backendPoolPath, KedgeFlags.BackendPoolConfig, GoConfigReader.BackendPoolSource)}";

    /// <summary>The content fingerprint of the files as the last <see cref="Load"/> read them.</summary>
    public string? LoadedFingerprint { get; private set; }

    /// <summary>Where the last <see cref="Load"/> read from, to locate errors in a merged configuration.</summary>
    public RoutingOrigin Origin { get; private set; } = RoutingOrigin.Section("Kedge");

    /// <summary>
    /// Reads, translates and validates the routing configuration, once: every error is added to
    /// <paramref name="errors"/> at its source location (file and JSON path, or environment variable), and
    /// <see langword="null"/> is returned. A non-null result is valid and needs no further validation.
    /// </summary>
    public KedgeServerOptions? Load(KedgeServerSettings settings, List<string> errors)
    {
        var before = errors.Count;
        var options = Read(errors);
        if (options is null || errors.Count > before)
        {
            return null;
        }

        KedgeServerOptionsValidator.Validate(options, Origin, errors, settings);
        return errors.Count > before ? null : options;
    }

    private KedgeServerOptions? Read(List<string> errors)
    {
        // Taken before reading, so a change made while loading is seen by the watcher as a change.
        LoadedFingerprint = Fingerprint();
        if (IsNative)
        {
            var configuration = BuildNative(errors);
            if (configuration is null)
            {
                return null;
            }

            if (!configuration.GetSection("Kedge").Exists())
            {
                errors.Add($"--config: '{_nativePath}' has no \"Kedge\" section; put the routes and backends under {{ \"Kedge\": {{ ... }} }}.");
                return null;
            }

            var environment = configuration.Providers.OfType<Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationProvider>().FirstOrDefault();
            Origin = new NativeRoutingOrigin(_nativePath, environment is null ? null : key => FromProvider(environment, "Kedge:" + key));
            return NativeRoutingReader.Bind(WithoutServerSection(configuration.GetSection("Kedge")), Origin, errors);
        }

        var before = errors.Count;
        var director = _director ?? (_directorPath is null ? null : Read(_directorPath, "--" + KedgeFlags.DirectorConfigPath, errors));
        var backendPool = _backendPool ?? (_backendPoolPath is null ? null : Read(_backendPoolPath, "--" + KedgeFlags.BackendPoolConfigPath, errors));
        var directorSource = GoSource(_directorPath, KedgeFlags.DirectorConfig, GoConfigReader.DirectorSource);
        var backendPoolSource = GoSource(_backendPoolPath, KedgeFlags.BackendPoolConfig, GoConfigReader.BackendPoolSource);
        Origin = new GoRoutingOrigin(directorSource, backendPoolSource);
        return errors.Count == before ? GoConfigReader.Translate(director, backendPool, errors, directorSource, backendPoolSource) : null;
    }

    /// <summary>A Go config's source in errors: its file (or the inline flag) and which config it is.</summary>
    private static string GoSource(string? path, string inlineFlag, string what) => $"{path ?? "--" + inlineFlag} ({what})";

    /// <summary>Whether the provider set the key or a key under it.</summary>
    private static bool FromProvider(Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationProvider provider, string key)
        => provider.TryGet(key, out _) || provider.GetChildKeys([], key).Any();

    /// <summary>
    /// The native file the start-up settings (<c>Kedge:Server</c>, <c>Kedge:Auth</c>, <c>Kedge:Kubernetes</c>,
    /// <c>Kedge:Discovery</c>) are read from — <c>--config</c>, or <c>./appsettings.json</c> with no config flag — or
    /// null with Go JSON or no file. A file that cannot be read is reported by <see cref="Load"/>, so not here.
    /// </summary>
    public (IConfiguration? File, string? Path) ReadSettingsFile()
    {
        if (_nativePath is null || Read(_nativePath, "--config", []) is not { } text)
        {
            return (null, null);
        }

        try
        {
            return (new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(text))).Build(), _nativePath);
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>The routing part of the section: everything but the settings sections (<see cref="KedgeSettingCatalog.Sections"/>).</summary>
    private static IConfigurationSection WithoutServerSection(IConfigurationSection kedge)
    {
        var routing = kedge.AsEnumerable(makePathsRelative: true)
            .Where(kv => kv.Value is not null && !KedgeSettingCatalog.Sections.Any(name => kv.Key.Equals(name, StringComparison.OrdinalIgnoreCase)
                || kv.Key.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)))
            .Select(kv => new KeyValuePair<string, string?>("Kedge:" + kv.Key, kv.Value));
        return new ConfigurationBuilder().AddInMemoryCollection(routing).Build().GetSection("Kedge");
    }

    /// <summary>The native configuration: the file (if any), then environment variables over it when enabled.</summary>
    private IConfigurationRoot? BuildNative(List<string>? errors)
    {
        var builder = new ConfigurationBuilder();
        if (_nativePath is not null)
        {
            var sink = errors ?? [];
            var text = Read(_nativePath, "--config", sink);
            if (text is null || !NativeRoutingReader.CheckJson(_nativePath, text, sink))
            {
                return null;
            }

            builder.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        }

        if (_useEnvironment)
        {
            builder.AddEnvironmentVariables();
        }

        try
        {
            return builder.Build();
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            // CheckJson found nothing wrong: the provider refused something else; its message is all there is.
            errors?.Add($"{_nativePath}: could not be read: {InnermostMessage(ex)}");
            return null;
        }
    }

    /// <summary>A fingerprint of the watched files' contents.</summary>
    public string Fingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var file in Files)
        {
            try
            {
                hash.AppendData(File.ReadAllBytes(file));
            }
            catch (IOException)
            {
                hash.AppendData("missing"u8);
            }
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>The configuration binder's useful message (which key is wrong) is on the innermost exception.</summary>
    private static string InnermostMessage(Exception exception)
    {
        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return exception.Message;
    }

    private static string? Read(string path, string flag, List<string> errors)
    {
        try
        {
            var text = File.ReadAllText(path);
            if (string.IsNullOrWhiteSpace(text))
            {
                // A file caught half-written (truncated, not yet filled) reads as empty; taking that as "no routes" would
                // drop every route on reload.
                errors.Add($"{flag}: '{path}' is empty. Write the configuration as JSON ({{\"grpc\": {{}}, \"http\": {{}}}} for none), and replace the file in one step (write a new file, then rename it over the old one) so kedge never reads it half-written.");
                return null;
            }

            return text;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{flag}: cannot read '{path}': {ex.Message}");
            return null;
        }
    }
}
