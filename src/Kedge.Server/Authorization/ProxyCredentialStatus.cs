namespace Kedge.Server.Authorization;

/// <summary>What <see cref="ProxyAuthorizationHeader.Read"/> found.</summary>
internal enum ProxyCredentialStatus
{
    Missing,
    Malformed,
    Present,
}
