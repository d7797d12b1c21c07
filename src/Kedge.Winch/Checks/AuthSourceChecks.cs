using Kedge.Client.Tokens;
using Kedge.Common.Checks;
using Kedge.Winch.Auth;
using Kedge.Winch.Configuration;
using Kedge.Winch.Internal;

namespace Kedge.Winch.Checks;

/// <summary>
/// One line per auth source a route uses: a token is obtainable from the real source (refresh, service account,
/// kubeconfig, exec plugin), and its expiry when it is a JWT; never the token. A source that needs an interactive login
/// and has none gets a ⚠: winch check never starts a browser or device login.
/// </summary>
internal static class AuthSourceChecks
{
    public static IEnumerable<CheckDefinition> For(WinchCheckContext context)
    {
        foreach (var (name, source) in context.Auth.Built.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var config = context.Settings.Config.AuthSources[name];
            yield return CheckDefinition.Single("auth " + name, "token", cancellationToken => CheckAsync(name, source, config, context, cancellationToken));
        }
    }

    private static async Task<CheckResult> CheckAsync(string name, KedgeTokenSource source, AuthSourceConfig config, WinchCheckContext context, CancellationToken cancellationToken)
    {
        var area = "auth " + name;
        var kind = config.Kind.ConfigName();
        var where = $"{context.AuthSource} {config.Path}";
        if (source is OidcTokenSource { IsLoggedIn: false } oidc)
        {
            return CheckResult.Warn(area, "token", $"not logged in: {kind} source '{name}' has no cached login",
                oidc.CallbackPath.Length > 0
                    ? $"start winch and open {oidc.LoginUrl} in a browser to log in (winch check does not start a login)"
                    : "start winch and send one request through this route: winch answers with the device-login URL and code (winch check does not start a login)");
        }

        string token;
        try
        {
            token = await source.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return CheckResult.Fail(area, "token", $"{kind} source '{name}' gave no token: {ExceptionMessages.Chain(ex)}", Fix(config, where));
        }

        var now = context.TimeProvider.GetUtcNow();
        var expiry = JwtExpiry.Read(token) ?? (source as ITrackedTokenSource)?.CachedTokenExpiry;
        if (expiry is not { } until)
        {
            return CheckResult.Pass(area, "token", $"{kind} source '{name}' gave a token; it carries no expiry winch can read (not a JWT)");
        }

        if (until <= now)
        {
            return CheckResult.Fail(area, "token", $"{kind} source '{name}' gave a token that expired on {CertificateExpiry.Format(until)}", Fix(config, where));
        }

        return CheckResult.Pass(area, "token", $"{kind} source '{name}' gave a token valid until {CertificateExpiry.Format(until)}");
    }

    private static string Fix(AuthSourceConfig config, string where) => config.Kind switch
    {
        AuthSourceKind.Token or AuthSourceKind.Dummy => $"put a valid token in {where}",
        AuthSourceKind.Kube => $"check user '{config.User}' in the kubeconfig {(config.FilePath.Length == 0 ? "~/.kube/config" : config.FilePath)} (log in again with your kubectl login tool; run its exec plugin by hand to see its error)",
        AuthSourceKind.Oidc => $"log in again: start winch and open its /winch/login/{config.Name} page ({where})",
        AuthSourceKind.ServiceAccountOidc => $"check the key file {config.ServiceAccountJsonPath} and that its token endpoint is reachable ({where})",
        _ => $"check {where}",
    };
}
