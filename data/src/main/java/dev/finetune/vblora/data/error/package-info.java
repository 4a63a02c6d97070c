/**
 * The one base type of every error the vblora library reports for bad input ({@link
 * dev.finetune.vblora.data.error.VbLoraException}) and its variant about one setting ({@link
 * dev.finetune.vblora.data.error.InvalidSettingException}), and the "did you mean" their messages offer ({@link
 * dev.finetune.vblora.data.error.Suggestions}).
 */
package dev.finetune.vblora.data.error;
