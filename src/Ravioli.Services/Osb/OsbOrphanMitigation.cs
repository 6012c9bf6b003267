namespace Ravioli.Services.Osb;

/// <summary>The requests the client makes, as the spec's response tables tell them apart.</summary>
internal enum OsbCall
{
    Provision,
    Update,
    Deprovision,
    Bind,
    Unbind,
    FetchBinding,
    FetchInstance,
    InstanceLastOperation,
    BindingLastOperation,
}

/// <summary>
/// OSB 2.17's "Orphan Mitigation" table, one rule per row group. True means the platform should delete (or keep deleting)
/// what it cannot be sure about: deprovision after provision/deprovision rows, unbind after bind/unbind rows.
/// </summary>
/// <remarks>
/// Rows the table states: 200 → no; 200 malformed → no; 201/202 → no; 201/202 malformed → yes for provision and bind;
/// other 2xx → yes for provision, deprovision, bind, unbind, no for update; 408 → no; other 4xx → no; 5xx → yes for
/// provision, deprovision, bind, unbind, no for update; timeout → yes for provision and bind only; last_operation
/// "failed" → yes after provision, deprovision, bind, unbind.
/// Rows it does not state, decided here: a broken connection after the request was sent, or an answer that is not HTTP,
/// counts as a timeout (the broker may have acted); a refused connection never needs mitigation (the broker cannot have acted); 3xx and 1xx never do
/// (a redirect is not the broker's OSB handler answering).
/// </remarks>
internal static class OsbOrphanMitigation
{
    public static bool AfterMalformedSuccess(OsbCall call, int status) =>
        status != 200 && call is OsbCall.Provision or OsbCall.Bind;

    public static bool AfterUnexpectedSuccessStatus(OsbCall call) =>
        call is OsbCall.Provision or OsbCall.Deprovision or OsbCall.Bind or OsbCall.Unbind;

    public static bool AfterServerError(OsbCall call) =>
        call is OsbCall.Provision or OsbCall.Deprovision or OsbCall.Bind or OsbCall.Unbind;

    /// <summary>Also used when the connection broke after the request went out, or the answer was not HTTP: either way no answer came.</summary>
    public static bool AfterTimeout(OsbCall call) =>
        call is OsbCall.Provision or OsbCall.Bind;

    public static bool AfterFailedState(OsbOperationKind kind) =>
        kind is OsbOperationKind.Provision or OsbOperationKind.Deprovision or OsbOperationKind.Bind or OsbOperationKind.Unbind;
}
