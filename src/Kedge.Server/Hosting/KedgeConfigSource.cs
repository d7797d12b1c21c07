using System.Security.Cryptography;
using System.Text;
using Kedge.Server.Configuration;
using Kedge.Server.Configuration.Go;
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

    private KedgeConfigSource(string? director, string? directorPath, string? backendPool, string? backendPoolPath, string? nativePath)
    {
        _director = director;
        _directorPath = directorPath;
        _backendPool = backendPool;
        _backendPoolPath = backendPoolPath;
        _nativePath = nativePath;
    }

    /// <summary>The key prefix errors are reported under.</summary>
    public string Section => _nativePath is null ? "(translated Go config) Kedge" : "Kedge";

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
            errors.Add($"No routing configuration: give --config <file> (native) or --{KedgeFlags.DirectorConfigPath} and --{KedgeFlags.BackendPoolConfigPath} (Go kedge JSON).");
        }

        return errors.Count == before ? source : null;
    }

    /// <summary>Reads and translates the configuration; errors are added to <paramref name="errors"/>.</summary>
    public KedgeServerOptions? Load(List<string> errors)
    {
        if (_nativePath is not null)
        {
            var text = Read(_nativePath, "--config", errors);
            if (text is null)
            {
                return null;
            }

            try
            {
                var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(text))).Build();
                var section = configuration.GetSection("Kedge");
                if (!section.Exists())
                {
                    errors.Add($"--config: '{_nativePath}' has no \"Kedge\" section; put the routes and backends under {{ \"Kedge\": {{ ... }} }}.");
                    return null;
                }

                var options = new KedgeServerOptions();
                section.Bind(options, o => o.ErrorOnUnknownConfiguration = true);
                return options;
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidDataException)
            {
                errors.Add($"--config: '{_nativePath}' is not a valid native configuration: {ex.Message}");
                return null;
            }
        }

        var before = errors.Count;
        var director = _director ?? (_directorPath is null ? null : Read(_directorPath, "--" + KedgeFlags.DirectorConfigPath, errors));
        var backendPool = _backendPool ?? (_backendPoolPath is null ? null : Read(_backendPoolPath, "--" + KedgeFlags.BackendPoolConfigPath, errors));
        return errors.Count == before ? GoConfigReader.Translate(director, backendPool, errors) : null;
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

    private static string? Read(string path, string flag, List<string> errors)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"{flag}: cannot read '{path}': {ex.Message}");
            return null;
        }
    }
}
