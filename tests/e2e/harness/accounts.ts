/** The Development workspace's seeded agents (src/Inbox/Workspaces/FirstRunSetup.cs, DemoAgents). */
export const demoPassword = "demo-password-1";
export const owner = { email: "owner@demo.crm", password: demoPassword, name: "Olivia Owner" };
export const ann = { email: "ann@demo.crm", password: demoPassword, name: "Ann" };
export const bob = { email: "bob@demo.crm", password: demoPassword, name: "Bob" };

/** A second workspace, made with `create-owner` before the server starts. */
export const workspaceB = { workspace: "Workspace B", email: "owner@b.example", password: "b-workspace-password-1" };
