/**
 * The {@code keyring-tool} command line: key generation, keyring files and live key rotation.
 *
 * <p>Placeholder module: its contents arrive with the key-management tool. It builds empty so that
 * the layout of the project is visible from the start.
 */
package dev.grapevine.keyringtool;
