/**
 * Session setup and device checks: {@link dev.finetune.vblora.training.device.DeviceOptions} (CPU/GPU, XLA,
 * precision, threads) becomes the ConfigProto of every session; {@link
 * dev.finetune.vblora.training.device.DeviceProbe} fails early when a GPU is asked for and missing; {@link
 * dev.finetune.vblora.training.device.PlacementCheck} shows which ops of a step ran where.
 */
package dev.finetune.vblora.training.device;
