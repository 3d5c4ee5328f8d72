using Crm.Inbox.Conversations;

namespace Crm.Inbox.Customers;

/// <summary>
/// Which of the workspace's labels (<see cref="ILabelStore"/>, the same ones conversations carry) a customer carries; the
/// profile shows them as <see cref="CustomerProfile.LabelIds"/>. Deleting a label takes it off customers too.
/// </summary>
public interface ICustomerLabelStore
{
    /// <summary>
    /// Puts the label on the customer (<paramref name="add"/>) or takes it off. Idempotent: when it changes nothing, nothing is
    /// stored (no new version, no audit entry). A real change is a profile change: a new version and one audit entry, field
    /// <c>labels</c>, from (removed) or to (added) the label's name. NotFound when the workspace has no such customer.
    /// </summary>
    Task<ProfileUpdateResult> LabelCustomerAsync(Guid workspaceId, Guid customerId, Label label, bool add, Guid? changedBy, DateTimeOffset now,
        CancellationToken ct = default);
}
