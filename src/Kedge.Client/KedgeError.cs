using System.Diagnostics.CodeAnalysis;
using System.Net;
using Kedge.Common;

namespace Kedge.Client;

/// <summary>
/// An error kedge itself reported (rather than the backend), read from the <c>X-Kedge-Error</c> and
/// <c>X-Kedge-Error-Type</c> response headers.
/// </summary>
/// <param name="Message">The error text kedge sent in <c>X-Kedge-Error</c>.</param>
/// <param name="Type">The error type from <c>X-Kedge-Error-Type</c> (see <see cref="KedgeErrorTypes"/>), or <see langword="null"/>.</param>
/// <param name="StatusCode">The HTTP status of kedge's answer.</param>
public sealed record KedgeError(string Message, string? Type, HttpStatusCode StatusCode)
{
    /// <summary>The response header with kedge's error text.</summary>
    public const string ErrorHeader = KedgeHeaders.Error;

    /// <summary>The response header with kedge's error type.</summary>
    public const string ErrorTypeHeader = KedgeHeaders.ErrorType;

    /// <summary>Reads kedge's error from a response, if kedge reported one.</summary>
    /// <param name="response">The response.</param>
    /// <param name="error">The error, or <see langword="null"/> when the response carries none.</param>
    /// <returns>Whether kedge reported an error.</returns>
    public static bool TryRead(HttpResponseMessage response, [NotNullWhen(true)] out KedgeError? error)
    {
        ArgumentNullException.ThrowIfNull(response);
        error = null;
        if (!response.Headers.TryGetValues(ErrorHeader, out var messages))
        {
            return false;
        }

        var type = response.Headers.TryGetValues(ErrorTypeHeader, out var types) ? types.FirstOrDefault() : null;
        error = new KedgeError(string.Join(", ", messages), string.IsNullOrEmpty(type) ? null : type, response.StatusCode);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Type is null ? $"kedge error: {Message}" : $"kedge error ({Type}): {Message}";
}
