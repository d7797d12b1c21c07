using Kedge.Server.Forwarding;

namespace Kedge.Server.Authorization;

/// <summary>The answer of <see cref="KedgeAuthorizer"/>: allowed, or the error type and a message that never holds a credential.</summary>
internal readonly record struct AuthorizationOutcome(bool Allowed, KedgeErrorType ErrorType, string Message)
{
    public static readonly AuthorizationOutcome Allow = new(true, KedgeErrorType.NoRoute, string.Empty);

    public static AuthorizationOutcome Unauthenticated(string message) => new(false, KedgeErrorType.Unauthorized, "unauthenticated: " + message);

    public static AuthorizationOutcome Forbidden(string message) => new(false, KedgeErrorType.Forbidden, "forbidden: " + message);
}
