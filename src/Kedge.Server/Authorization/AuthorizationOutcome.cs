using Kedge.Common;

namespace Kedge.Server.Authorization;

/// <summary>The answer of <see cref="KedgeAuthorizer"/>: allowed, or the error type and a message that never holds a credential.</summary>
internal readonly record struct AuthorizationOutcome(bool Allowed, KedgeErrorKind ErrorType, string Message)
{
    public static readonly AuthorizationOutcome Allow = new(true, KedgeErrorKind.NoRoute, string.Empty);

    public static AuthorizationOutcome Unauthenticated(string message) => new(false, KedgeErrorKind.Unauthorized, "unauthenticated: " + message);

    public static AuthorizationOutcome Forbidden(string message) => new(false, KedgeErrorKind.Forbidden, "forbidden: " + message);
}
