namespace Kedge.Server.Observability;

/// <summary>
/// What a configuration change did to a backend: the <c>action</c> label of
/// <c>kedge_{http,grpc}_backend_configuration_changes_total</c>, with Go kedge's values (<c>create</c>, <c>update</c>,
/// <c>delete</c>) so dashboards built on Go kedge keep working.
/// </summary>
internal enum BackendChange
{
    Create,
    Update,
    Delete,
}
