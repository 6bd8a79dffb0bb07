/**
 * The Netty UDP/TCP runtime that drives a {@code MembershipCore} on an event loop, and the public
 * node API.
 *
 * <p>Placeholder module: its contents arrive with the network runtime. It builds empty so that the
 * layout of the project is visible from the start.
 */
package dev.grapevine.transport;
