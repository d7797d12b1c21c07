namespace Kedge.Winch.Auth;

/// <summary>A token source with a cached token that <c>/winch/cleartoken/&lt;source&gt;</c> can drop.</summary>
internal interface IClearableTokenSource
{
    /// <summary>Forgets the cached token (not the refresh token), so the next request gets a new one.</summary>
    void ClearToken();
}
