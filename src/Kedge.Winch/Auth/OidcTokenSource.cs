using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Duende.IdentityModel;
using Kedge.Client.Tokens;
using Kedge.Winch.Internal;

namespace Kedge.Winch.Auth;

/// <summary>
/// Go winch's <c>oidc</c> source: an ID token from an OIDC issuer, reused while valid, refreshed with the cached
/// refresh token, and (when <c>login_callback_path</c> is set) obtained by a browser login: authorization code with
/// PKCE, started at <c>/winch/login/&lt;source&gt;</c> and finished at winch's callback path. Without a callback path,
/// an issuer that offers the device grant gives a device login instead (beyond Go winch, for headless machines): the
/// failing request names the URL and the code, and winch polls until the user has approved. The refresh and ID tokens
/// are cached in a 0600 file under <c>path</c>.
/// </summary>
internal sealed class OidcTokenSource : KedgeTokenSource, IClearableTokenSource, ITrackedTokenSource
{
    private static readonly TimeSpan LoginLifetime = TimeSpan.FromMinutes(10);

    private readonly OidcProviderClient _provider;
    private readonly WinchAuthContext _context;
    private readonly string _cacheFile;
    private readonly Lock _gate = new();
    private readonly SingleFlight<string> _flight;
    private readonly ConcurrentDictionary<string, (string Verifier, long StartedAt)> _pendingLogins = new(StringComparer.Ordinal);
    private volatile string? _idToken;
    private string? _refreshToken;
    private Task<string>? _deviceLogin;
    private string _devicePrompt = string.Empty;

    public OidcTokenSource(string name, OidcProviderClient provider, string cacheDirectory, string callbackPath, WinchAuthContext context)
        : base(name)
    {
        _flight = new SingleFlight<string>(RefreshAsync, task =>
        {
            ReportRefresh(task.IsCompletedSuccessfully);
            RefreshState.Record(task, context.TimeProvider);
        });
        _provider = provider;
        _context = context;
        CallbackPath = callbackPath;
        var directory = ExpandHome(cacheDirectory.Length == 0 ? Path.Combine("~", ".config", "winch") : cacheDirectory);
        // One file per source and issuer: two sources with one client id at different issuers (staging and prod) must
        // never hand one issuer's refresh token to the other.
        var scope = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{provider.Issuer}\n{name}")))[..12];
        _cacheFile = Path.Combine(directory, $"token_winch_{Sanitize(provider.ClientId)}_{scope}");
        LoadCache();
    }

    /// <summary>winch's path where the issuer sends the browser back; empty when interactive login is off.</summary>
    public string CallbackPath { get; }

    public string RedirectUri => _context.WinchAddress + CallbackPath;

    /// <summary>Where a user starts a login in the browser.</summary>
    public string LoginUrl => $"{_context.WinchAddress}/winch/login/{Uri.EscapeDataString(Name)}";

    public override ValueTask<string> GetTokenAsync(CancellationToken cancellationToken = default)
    {
        var token = _idToken;
        return JwtExpiry.IsFresh(token, _context.TimeProvider) ? ValueTask.FromResult(token!) : new ValueTask<string>(_flight.RunAsync().WaitAsync(cancellationToken));
    }

    public bool HasCachedToken => !string.IsNullOrEmpty(_idToken);

    public DateTimeOffset? CachedTokenExpiry => JwtExpiry.Read(_idToken);

    public TokenRefreshState RefreshState { get; } = new();

    /// <summary>Whether a login is cached (an ID token or a refresh token): without one, a token needs an interactive login.</summary>
    public bool IsLoggedIn
    {
        get
        {
            lock (_gate)
            {
                return !string.IsNullOrEmpty(_idToken) || !string.IsNullOrEmpty(_refreshToken);
            }
        }
    }

    /// <summary>Whether the cached ID token is valid now, so a request needs no refresh.</summary>
    public bool HasFreshToken => JwtExpiry.IsFresh(_idToken, _context.TimeProvider);

    public void ClearToken()
    {
        lock (_gate)
        {
            _idToken = null;
            SaveCache();
        }
    }

    /// <summary>The device login in progress or last finished, if any (tests wait for it).</summary>
    internal Task<string>? DeviceLogin => _deviceLogin;

    /// <summary>Starts a browser login: the issuer URL to redirect to.</summary>
    public Task<Uri> BeginLoginAsync(CancellationToken cancellationToken)
    {
        if (CallbackPath.Length == 0)
        {
            throw new InvalidOperationException($"auth source '{Name}' has no login_callback_path, so winch cannot log in through the browser; set oidc.login_callback_path (for example \"/login/callback\")");
        }

        var now = _context.TimeProvider.GetTimestamp();
        foreach (var (state, pending) in _pendingLogins)
        {
            if (_context.TimeProvider.GetElapsedTime(pending.StartedAt) > LoginLifetime)
            {
                _pendingLogins.TryRemove(state, out _);
            }
        }

        // PKCE (RFC 7636): a 256-bit verifier, sent to the issuer only as its S256 challenge until the code is exchanged.
        var verifier = CryptoRandom.CreateUniqueId(32, CryptoRandom.OutputFormat.Base64Url);
        var newState = CryptoRandom.CreateUniqueId(16, CryptoRandom.OutputFormat.Base64Url);
        _pendingLogins[newState] = (verifier, now);
        var challenge = Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        return _provider.GetAuthorizationUrlAsync(RedirectUri, newState, challenge, cancellationToken);
    }

    /// <summary>Finishes a browser login with the code and state the issuer sent back.</summary>
    public async Task CompleteLoginAsync(string code, string state, CancellationToken cancellationToken)
    {
        if (!_pendingLogins.TryRemove(state, out var pending) || _context.TimeProvider.GetElapsedTime(pending.StartedAt) > LoginLifetime)
        {
            throw new InvalidOperationException($"this login for auth source '{Name}' is unknown or older than {LoginLifetime.TotalMinutes:0} minutes; start again at {LoginUrl}");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_context.Timeout);
        var response = await _provider.ExchangeCodeAsync(code, RedirectUri, pending.Verifier, timeout.Token).ConfigureAwait(false);
        lock (_gate)
        {
            _idToken = response.IdToken;
            _refreshToken = response.RefreshToken ?? _refreshToken;
            SaveCache();
        }

        RefreshState.Succeeded(_context.TimeProvider.GetUtcNow());
        WinchLog.LoggedIn(_context.Logger, Name, _provider.Issuer);
    }


    private async Task<string> RefreshAsync()
    {
        {
            if (JwtExpiry.IsFresh(_idToken, _context.TimeProvider))
            {
                return _idToken!;
            }

            if (string.IsNullOrEmpty(_refreshToken))
            {
                if (CallbackPath.Length == 0)
                {
                    await StartDeviceLoginAsync().ConfigureAwait(false);
                }

                var loginUrl = LoginUrl;
                WinchLog.LoginNeeded(_context.Logger, Name, loginUrl);
                throw new InvalidOperationException($"auth source '{Name}' is not logged in: open {LoginUrl} in a browser to log in with {_provider.Issuer}, then retry");
            }

            using var timeout = new CancellationTokenSource(_context.Timeout);
            OidcTokenResponse response;
            try
            {
                response = await _provider.RefreshAsync(_refreshToken, timeout.Token).ConfigureAwait(false);
            }
            catch (InvalidOperationException ex) when (CallbackPath.Length > 0)
            {
                throw new InvalidOperationException($"{ex.Message}; log in again at {LoginUrl}", ex);
            }

            lock (_gate)
            {
                _idToken = response.IdToken;
                _refreshToken = response.RefreshToken ?? _refreshToken;
                SaveCache();
            }

            var expiry = JwtExpiry.Read(response.IdToken) ?? DateTimeOffset.MaxValue;
            WinchLog.TokenRefreshed(_context.Logger, Name, _provider.Issuer, expiry);
            return response.IdToken;
        }
    }

    /// <summary>Starts (or reports the running) device login; always throws, naming where to log in.</summary>
    private async Task StartDeviceLoginAsync()
    {
        if (_deviceLogin is { IsCompleted: false })
        {
            throw new InvalidOperationException(_devicePrompt);
        }

        using var timeout = new CancellationTokenSource(_context.Timeout);
        if (!await _provider.SupportsDeviceLoginAsync(timeout.Token).ConfigureAwait(false))
        {
            throw new InvalidOperationException(
                $"auth source '{Name}' has no valid token cached in {_cacheFile}, no login_callback_path for a browser login, and the issuer {_provider.Issuer} offers no device login; set oidc.login_callback_path and log in at {_context.WinchAddress}/winch/login/{Name}");
        }

        var device = await _provider.StartDeviceLoginAsync(timeout.Token).ConfigureAwait(false);
        var where = device.VerificationUriComplete ?? device.VerificationUri;
        _devicePrompt = $"auth source '{Name}' is not logged in: open {where} and enter the code {device.UserCode} within {device.ExpiresIn.TotalMinutes:0} minutes, then retry";
        _deviceLogin = PollDeviceLoginAsync(device);
        WinchLog.LoginNeeded(_context.Logger, Name, where + " (code " + device.UserCode + ")");
        throw new InvalidOperationException(_devicePrompt);
    }

    private async Task<string> PollDeviceLoginAsync(OidcDeviceAuthorization device)
    {
        var started = _context.TimeProvider.GetTimestamp();
        var interval = device.Interval;
        while (true)
        {
            await Task.Delay(interval, _context.TimeProvider).ConfigureAwait(false);
            if (_context.TimeProvider.GetElapsedTime(started) > device.ExpiresIn)
            {
                throw new InvalidOperationException($"the device login for auth source '{Name}' expired; the next request starts a new one");
            }

            using var timeout = new CancellationTokenSource(_context.Timeout);
            var (tokens, error) = await _provider.PollDeviceLoginAsync(device.DeviceCode, timeout.Token).ConfigureAwait(false);
            switch (error)
            {
                case null:
                    lock (_gate)
                    {
                        _idToken = tokens!.IdToken;
                        _refreshToken = tokens.RefreshToken ?? _refreshToken;
                        SaveCache();
                    }

                    RefreshState.Succeeded(_context.TimeProvider.GetUtcNow());
                    WinchLog.LoggedIn(_context.Logger, Name, _provider.Issuer);
                    return tokens.IdToken;
                case "authorization_pending":
                    continue;
                case "slow_down":
                    interval += TimeSpan.FromSeconds(5);
                    continue;
                default:
                    throw new InvalidOperationException($"the device login for auth source '{Name}' failed at the issuer {_provider.Issuer}: {error}");
            }
        }
    }

    private void LoadCache()
    {
        if (!File.Exists(_cacheFile))
        {
            return;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(_cacheFile));
            var root = document.RootElement;
            _idToken = root.TryGetProperty("id_token", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
            _refreshToken = root.TryGetProperty("refresh_token", out var refresh) && refresh.ValueKind == JsonValueKind.String ? refresh.GetString() : null;
        }
        catch (Exception ex) when (ex is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"the token cache {_cacheFile} of auth source '{Name}' cannot be read ({ex.Message}); delete it and log in again", ex);
        }
    }

    private void SaveCache()
    {
        var directory = Path.GetDirectoryName(_cacheFile)!;
        Directory.CreateDirectory(directory);
        var temporary = _cacheFile + ".tmp";
        var content = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string?> { ["id_token"] = _idToken, ["refresh_token"] = _refreshToken });
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(content);
        }

        File.Move(temporary, _cacheFile, overwrite: true);
    }

    private static string Sanitize(string value) => string.Concat(value.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    internal static string ExpandHome(string path)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
        {
            path = home + path[1..];
        }

        return path.Replace("$HOME", home, StringComparison.Ordinal).Replace("${HOME}", home, StringComparison.Ordinal);
    }
}
