namespace Kedge.Winch.Tests.Infrastructure;

/// <summary>
/// Sets the HTTP/2 <c>:authority</c> of every call to the target, so a gRPC channel to winch reaches the target
/// (the .NET counterpart of Go's <c>grpc.WithAuthority</c>; the README shows the same handler).
/// </summary>
public sealed class AuthorityHandler(string authority, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Host = authority;
        return base.SendAsync(request, cancellationToken);
    }
}
