using Kedge.Client;

namespace System.Net.Http;

/// <summary>Reads kedge's own errors from responses.</summary>
public static class KedgeHttpResponseMessageExtensions
{
    /// <summary>Returns the error kedge reported in this response, or <see langword="null"/> when it reported none.</summary>
    /// <param name="response">The response.</param>
    public static KedgeError? GetKedgeError(this HttpResponseMessage response)
        => KedgeError.TryRead(response, out var error) ? error : null;
}
