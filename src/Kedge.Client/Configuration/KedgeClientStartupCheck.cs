namespace Kedge.Client.Configuration;

/// <summary>
/// Options whose only purpose is to be created by <c>ValidateOnStart</c>: creating them creates the
/// <see cref="KedgeClient"/>, which fails with every configuration error. The check sits here rather than in an
/// <c>IValidateOptions&lt;KedgeClientOptions&gt;</c> because such a validator would also run on every reload, inside the
/// configuration's change notification, and throw there; a reload is the client's to reject (it keeps the last good
/// configuration and logs why).
/// </summary>
internal sealed class KedgeClientStartupCheck;
