using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Kedge.Client.Tokens;
using Kedge.Winch.Internal;
using YamlDotNet.RepresentationModel;

namespace Kedge.Winch.Auth;

/// <summary>
/// A kubeconfig user with an <c>exec</c> credential plugin (client.authentication.k8s.io ExecCredential), which Go winch
/// did not support: the plugin is run without a terminal, its <c>status.token</c> is used until
/// <c>status.expirationTimestamp</c> (for the process's lifetime when it gives none), then the plugin runs again.
/// </summary>
internal sealed class ExecCredentialTokenSource : KedgeTokenSource, IClearableTokenSource, ITrackedTokenSource
{
    private readonly string _command;
    private readonly IReadOnlyList<string> _args;
    private readonly IReadOnlyList<KeyValuePair<string, string>> _env;
    private readonly string _apiVersion;
    private readonly string _user;
    private readonly WinchAuthContext _context;
    private readonly SingleFlight<string> _flight;
    private volatile CachedCredential? _cached;

    public ExecCredentialTokenSource(string name, string user, string kubeconfigPath, YamlMappingNode exec, WinchAuthContext context)
        : base(name)
    {
        _flight = new SingleFlight<string>(RunAsync, task =>
        {
            ReportRefresh(task.IsCompletedSuccessfully);
            RefreshState.Record(task, context.TimeProvider);
        });
        _user = user;
        _context = context;
        var command = KubeConfig.Scalar(exec, "command");
        if (string.IsNullOrEmpty(command))
        {
            throw new InvalidOperationException($"user {user} in the kubeconfig {kubeconfigPath} has an exec plugin without a command; set users[].user.exec.command");
        }

        // As kubectl: a relative path with a directory part is relative to the kubeconfig's directory.
        if (!System.IO.Path.IsPathRooted(command) && command.Contains('/', StringComparison.Ordinal))
        {
            command = System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(kubeconfigPath))!, command));
        }

        _command = command;
        _args = KubeConfig.Child(exec, "args") is YamlSequenceNode args ? [.. args.OfType<YamlScalarNode>().Select(a => a.Value ?? string.Empty)] : [];
        _env = KubeConfig.Child(exec, "env") is YamlSequenceNode env
            ? [.. env.OfType<YamlMappingNode>().Select(e => new KeyValuePair<string, string>(KubeConfig.Scalar(e, "name") ?? string.Empty, KubeConfig.Scalar(e, "value") ?? string.Empty)).Where(e => e.Key.Length > 0)]
            : [];
        _apiVersion = KubeConfig.Scalar(exec, "apiVersion") ?? "client.authentication.k8s.io/v1";
    }

    public override ValueTask<string> GetTokenAsync(CancellationToken cancellationToken = default)
    {
        var cached = _cached;
        return cached is not null && IsValid(cached) ? ValueTask.FromResult(cached.Token) : new ValueTask<string>(_flight.RunAsync().WaitAsync(cancellationToken));
    }

    public void ClearToken() => _cached = null;

    public bool HasCachedToken => _cached is not null;

    public DateTimeOffset? CachedTokenExpiry => _cached?.Expiry;

    public TokenRefreshState RefreshState { get; } = new();

    private bool IsValid(CachedCredential cached)
        => cached.Expiry is not { } expiry || expiry - WinchAuthContext.ExpirySkew > _context.TimeProvider.GetUtcNow();


    private async Task<string> RunAsync()
    {
        if (_cached is { } raced && IsValid(raced))
        {
            return raced.Token;
        }

        var output = await RunPluginAsync().ConfigureAwait(false);
        var credential = Parse(output);
        _cached = credential;
        var until = credential.Expiry?.ToString("O", CultureInfo.InvariantCulture) ?? "winch stops";
        WinchLog.ExecPluginRan(_context.Logger, Name, _command, until);

        return credential.Token;
    }

    private async Task<string> RunPluginAsync()
    {
        var start = new ProcessStartInfo(_command)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in _args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in _env)
        {
            start.Environment[key] = value;
        }

        start.Environment["KUBERNETES_EXEC_INFO"] = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["kind"] = "ExecCredential",
            ["apiVersion"] = _apiVersion,
            ["spec"] = new Dictionary<string, object> { ["interactive"] = false },
        });

        Process process;
        try
        {
            start.FileName = ResolveCommand(_command);
            process = Process.Start(start) ?? throw new InvalidOperationException($"the exec plugin {_command} of user {_user} did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"the exec plugin {_command} of user {_user} could not be started: {ex.Message}; check users[].user.exec.command and PATH", ex);
        }

        using (process)
        {
            process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(_context.Timeout);
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new InvalidOperationException($"the exec plugin {_command} of user {_user} did not finish within {_context.Timeout.TotalSeconds:0}s (--server_auth_timeout); it may be waiting for input, which winch cannot give");
            }

            if (process.ExitCode != 0)
            {
                var message = (await stderr.ConfigureAwait(false)).Trim();
                throw new InvalidOperationException($"the exec plugin {_command} of user {_user} exited with code {process.ExitCode}: {(message.Length > 500 ? message[..500] : message)}");
            }

            return await stdout.ConfigureAwait(false);
        }
    }

    private CachedCredential Parse(string output)
    {
        try
        {
            using var document = JsonDocument.Parse(output);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("status", out var status)
                || status.ValueKind != JsonValueKind.Object
                || !status.TryGetProperty("token", out var token)
                || token.ValueKind != JsonValueKind.String
                || string.IsNullOrEmpty(token.GetString()))
            {
                throw new InvalidOperationException($"the exec plugin {_command} of user {_user} printed an ExecCredential without status.token (client certificates from exec plugins are not used by winch)");
            }

            DateTimeOffset? expiry = null;
            if (status.TryGetProperty("expirationTimestamp", out var exp) && exp.ValueKind == JsonValueKind.String)
            {
                if (!DateTimeOffset.TryParse(exp.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                {
                    throw new InvalidOperationException($"the exec plugin {_command} of user {_user} gave expirationTimestamp \"{exp.GetString()}\", which is not an RFC 3339 time");
                }

                expiry = parsed;
            }

            return new CachedCredential(token.GetString()!, expiry);
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"the exec plugin {_command} of user {_user} did not print an ExecCredential JSON object: {ex.Message}", ex);
        }
    }

    private sealed record CachedCredential(string Token, DateTimeOffset? Expiry);

    /// <summary>
    /// A bare command name is looked up on PATH only, as kubectl does (Process.Start would try winch's own directory and
    /// the current directory first, so an untrusted checkout could plant the plugin); names with a path stay as given.
    /// </summary>
    internal static string ResolveCommand(string command)
    {
        if (command.Contains('/', StringComparison.Ordinal) || Path.IsPathRooted(command))
        {
            return command;
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Path.IsPathRooted(directory))
            {
                continue; // a relative PATH entry would be the current directory again
            }

            var candidate = Path.Combine(directory, command);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        // Not on PATH: never fall back to Process.Start's own search (winch's directory, the current directory).
        throw new System.ComponentModel.Win32Exception(2, $"'{command}' was not found on PATH");
    }
}
